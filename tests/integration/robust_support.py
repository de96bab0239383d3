"""Probes and load drivers shared by the test_robust_* modules and bench/soak.py.

Process probes read /proc of the proxy (open descriptors, resident memory);
`open_idle_sessions` logs many raw sessions in cheaply; `FaultLoad` drives
many PyMySQL clients with per-request fault tokens and checks every answer by
content.
"""
import json
import os
import random
import resource
import threading
import time

import pymysql

import harness
import rawmysql
from service import fake_model

# GENAI error codes a client may see while the service misbehaves: unreachable,
# timeout, service error, invalid answer.
ER_TIMEOUT = 9103
UPSTREAM_ERRORS = (9102, ER_TIMEOUT, 9104, 9105, 9111)


def raise_fd_limit(wanted):
    """Raises this process's soft RLIMIT_NOFILE (children inherit it); returns the new value."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def fd_count(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def cpu_seconds(pid):
    """User + system CPU time of the process."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks


def wait_until(predicate, timeout=15.0, interval=0.05):
    """Polls `predicate` until true or `timeout`; returns its last value."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value or time.time() >= deadline:
            return value
        time.sleep(interval)


def global_stats(admin, table):
    out = {}
    for name, value in harness.query(admin, f"SELECT * FROM {table}"):
        try:
            out[name] = int(value)
        except (TypeError, ValueError):
            out[name] = value
    return out


def connected_clients(proxy):
    with proxy.admin() as admin:
        return global_stats(admin, "stats_mysql_global")["Client_Connections_connected"]


def open_idle_sessions(port, count, user="app", password="secret"):
    """`count` raw sessions that completed the login; raises if any login fails."""
    sessions = []
    try:
        for _ in range(count):
            raw = rawmysql.RawConnection(port, timeout=30)
            answer = raw.login(user, password)
            if not rawmysql.is_ok(answer):
                raw.close()
                raise AssertionError("login failed: %r" % (rawmysql.error_of(answer),))
            sessions.append(raw)
    except BaseException:
        for raw in sessions:
            raw.close()
        raise
    return sessions


# Fault-injection load ---------------------------------------------------------

# Per-request fault tokens and the GENAI error codes each must produce (None:
# the request succeeds). A reset may surface as unreachable or invalid answer.
FAULTS = {
    "__http_500__": (9111,), "__http_503__": (9104,), "__truncated_json__": (9105,),
    "__not_json__": (9105,), "__wrong_count__": (9105,), "__reset__": (9102, 9105),
    "__delay_ms=300__": None, "__delay_ms=6000__": (9103,),
}


class Outcome:
    """Tallies of one load run; `problems` lists every answer that broke a rule."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ok = 0
        self.errors = {}
        self.statements = 0
        self.problems = []
        self.clean_failures = []  # (started, ended, code) of fault-free requests that failed
        self.slowest = 0.0
        self.timeout_overruns = []  # seconds past the service timeout, of each 9103 answer

    def record(self, elapsed, code=None, timeout_s=None):
        with self.lock:
            self.statements += 1
            self.slowest = max(self.slowest, elapsed)
            if code == ER_TIMEOUT and timeout_s is not None:
                self.timeout_overruns.append(elapsed - timeout_s)
            if code is None:
                self.ok += 1
            else:
                self.errors[code] = self.errors.get(code, 0) + 1

    def problem(self, text, counted=True):
        with self.lock:
            self.statements += 1 if counted else 0
            if len(self.problems) < 50:
                self.problems.append(text)

    def summary(self):
        summary = {"statements": self.statements, "ok": self.ok,
                   "errors": dict(sorted(self.errors.items())), "problems": len(self.problems),
                   "clean_failures": len(self.clean_failures),
                   "slowest_s": round(self.slowest, 2)}
        if self.timeout_overruns:
            summary["timeout_overrun_ms"] = overrun_figures(self.timeout_overruns)
        return summary


def overrun_figures(overruns):
    """p50 / p99 / max of how late timeouts were answered, in ms, as the clients saw them."""
    ordered = sorted(overruns)
    pick = lambda q: round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))])
    return {"n": len(ordered), "p50": pick(0.5), "p99": pick(0.99), "max": round(1000 * ordered[-1])}


def proxy_for(service, timeout_ms):
    """A proxy (not started) whose embedding and rerank URIs point at `service`,
    both with `timeout_ms`."""
    # No cooldown: these loads inject faults on purpose and measure each
    # statement's own answer, which a cooling endpoint would replace by 9102.
    return harness.Proxy(genai={"embedding_uri": service.url("/embedding"),
                                "rerank_uri": service.url("/rerank"),
                                "embedding_timeout_ms": timeout_ms,
                                "rerank_timeout_ms": timeout_ms,
                                "endpoint_failure_threshold": 0})


class FaultLoad:
    """`clients` threads, each with its own PyMySQL connection, issuing embed and
    rerank statements with unique documents and random fault tokens.

    Every answer is checked by content against fake_model: a success must be the
    very answer to that client's own request, and a request with a fault token
    must fail with that fault's code. Every answer must arrive within
    `deadline_s`. Fault-free requests may fail only while the service is down:
    their times are kept in `outcome.clean_failures` for the caller to check.
    """

    def __init__(self, proxy, clients, dimension, deadline_s, fault_rate=0.3, think_s=(0.3, 0.8),
                 seed=1, timeout_s=None):
        self.proxy = proxy
        self.timeout_s = timeout_s  # the proxy's service timeout, to measure late timeouts
        self.clients = clients
        self.dimension = dimension
        self.deadline_s = deadline_s
        self.fault_rate = fault_rate
        self.think_s = think_s
        self.seed = seed
        self.outcome = Outcome()
        self.stop = threading.Event()
        self.threads = []

    def start(self):
        for i in range(self.clients):
            t = threading.Thread(target=self._client, args=(i,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def finish(self, timeout=120):
        """Stops the clients; returns the threads that did not end (hung clients)."""
        self.stop.set()
        deadline = time.time() + timeout
        for t in self.threads:
            t.join(max(0.1, deadline - time.time()))
        return [t for t in self.threads if t.is_alive()]

    def _request(self, rng, index, n):
        tag = f"client {index} request {n} nonce {rng.getrandbits(48):x}"
        token = rng.choice(sorted(FAULTS)) if rng.random() < self.fault_rate else ""
        if rng.random() < 0.5:
            docs = [f"{tag} doc {k}" for k in range(rng.randint(1, 4))]
            if token:
                docs[0] += " " + token
            return tag, token, {"type": "embed", "documents": docs}
        docs = [f"{tag} passage {k} about {rng.choice(['apples', 'rivers', 'stars'])}"
                for k in range(rng.randint(1, 5))]
        return tag, token, {"type": "rerank", "query": f"{tag} apples {token}".strip(),
                            "documents": docs}

    def _client(self, index):
        rng = random.Random(self.seed * 100003 + index)
        time.sleep(rng.uniform(*self.think_s))  # no thundering herd at the start
        try:
            conn = self.proxy.client(read_timeout=self.deadline_s + 30, connect_timeout=30)
        except pymysql.err.MySQLError as e:
            self.outcome.problem(f"client {index} cannot connect: {e.args}", counted=False)
            return
        n = 0
        try:
            while not self.stop.is_set():
                n += 1
                tag, token, request = self._request(rng, index, n)
                started = time.monotonic()
                try:
                    with conn.cursor() as cur:
                        cur.execute("GENAI: " + json.dumps(request))
                        rows = cur.fetchall()
                    code = None
                except pymysql.err.OperationalError as e:
                    code = e.args[0]
                    if code not in UPSTREAM_ERRORS:
                        self.outcome.problem(f"unexpected error {e.args}: {tag}")
                        return
                ended = time.monotonic()
                elapsed = ended - started
                if elapsed > self.deadline_s:
                    self.outcome.problem(f"answered after {elapsed:.1f}s: {tag} {token}")
                    continue
                expected = FAULTS.get(token)
                if code is None:
                    wrong = self._check(request, rows)
                    if wrong:
                        self.outcome.problem(f"{wrong}: {tag}")
                        continue
                    if expected is not None:
                        self.outcome.problem(f"fault {token} answered as a success: {tag}")
                        continue
                elif expected is None:
                    with self.outcome.lock:
                        self.outcome.clean_failures.append((started, ended, code))
                elif code not in expected:
                    # The service may be down at that moment: then unreachable
                    # (or a cut answer) instead of the fault's own error is fine.
                    with self.outcome.lock:
                        self.outcome.clean_failures.append((started, ended, code))
                self.outcome.record(elapsed, code, self.timeout_s)
                time.sleep(rng.uniform(*self.think_s))
        except pymysql.err.MySQLError as e:
            self.outcome.problem(f"client {index} lost its session: {e.args}")
        finally:
            try:
                conn.close()
            except Exception:
                pass

    def _check(self, request, rows):
        """None when `rows` is exactly the answer to `request`, else a description."""
        docs = request["documents"]
        if request["type"] == "embed":
            if len(rows) != len(docs):
                return f"embed answered {len(rows)} rows for {len(docs)} documents"
            for row, doc in zip(rows, docs):
                text = row[0].decode() if isinstance(row[0], bytes) else row[0]
                if [float(x) for x in text.split(",")] != fake_model.embedding(doc, self.dimension):
                    return "embedding does not match its document"
            return None
        expected = fake_model.expected_rerank(request["query"], docs)
        if [(int(r[0]), float(r[1])) for r in rows] != expected:
            return "rerank answer does not match its query"
        texts = [r[2].decode() if isinstance(r[2], bytes) else r[2] for r in rows]
        if texts != [docs[i] for i, _ in expected]:
            return "rerank documents do not match"
        return None


def check_clean_failures(test, outcome, outages):
    """Fault-free requests failed only around an outage (`outages`: (start, end) monotonic
    times), or timed out: on a saturated machine a request may legitimately exceed its
    timeout, but any other error outside an outage would be a fault leaking across
    requests. Returns the number of such timeouts.
    """
    timeouts = 0
    for begun, ended, code in outcome.clean_failures:
        if any(begun <= b + 1.0 and ended >= a - 0.5 for a, b in outages):
            continue
        test.assertEqual(code, 9103, f"error {code} on a fault-free request outside an outage")
        timeouts += 1
    test.assertLessEqual(timeouts, max(5, outcome.statements // 100),
                         "too many fault-free requests timed out")
    return timeouts


def counter_deltas(before, after, names):
    return {n: after[n] - before[n] for n in names}


GENAI_COUNTERS = ("requests_total", "requests_completed", "requests_failed", "requests_cancelled",
                  "errors_invalid_request", "errors_unreachable", "errors_timeout",
                  "errors_service", "errors_invalid_answer", "errors_unavailable",
                  "errors_overloaded", "errors_backend", "errors_input_too_long", "embed_requests",
                  "rerank_requests")
ERROR_COUNTER = {9102: "errors_unreachable", 9103: "errors_timeout", 9104: "errors_service",
                 9105: "errors_invalid_answer", 9111: "errors_input_too_long"}


def check_counters(test, before, after, outcome):
    """stats_genai_global moved exactly as the clients saw it. Returns the deltas."""
    d = counter_deltas(before, after, GENAI_COUNTERS)
    test.assertEqual(after["requests_in_flight"], 0)
    test.assertEqual(d["requests_total"], d["requests_completed"] + d["requests_failed"], d)
    test.assertEqual(d["requests_failed"],
                     sum(d[n] for n in GENAI_COUNTERS if n.startswith("errors_"))
                     + d["requests_cancelled"], d)
    test.assertEqual(d["requests_total"], d["embed_requests"] + d["rerank_requests"], d)
    test.assertEqual(d["requests_total"], outcome.statements, d)
    test.assertEqual(d["requests_completed"], outcome.ok, d)
    for code, name in ERROR_COUNTER.items():
        test.assertEqual(d[name], outcome.errors.get(code, 0), (name, d))
    test.assertEqual(d["requests_cancelled"], 0, d)
    return d


def _socket_ports():
    """{socket inode: (local port, remote port)} for every TCP socket on the host."""
    table = {}
    for path in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(path) as f:
                next(f)
                for line in f:
                    parts = line.split()
                    local, remote, inode = parts[1], parts[2], parts[9]
                    table[inode] = (int(local.rsplit(":", 1)[1], 16),
                                    int(remote.rsplit(":", 1)[1], 16))
        except FileNotFoundError:
            pass
    return table


def fd_breakdown(pid, client_port, upstream_ports=()):
    """Descriptors of the proxy by kind: client sessions, upstream HTTP connections, the rest."""
    ports = _socket_ports()
    out = {"client": 0, "upstream": 0, "other": 0}
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue  # closed while listing
        kind = "other"
        if target.startswith("socket:["):
            local, remote = ports.get(target[8:-1], (None, None))
            if local == client_port and remote:
                kind = "client"
            elif remote in upstream_ports:
                kind = "upstream"
        out[kind] += 1
    return out


def sanitizers():
    """The sanitizers the proxy binary was built with ('' for none), from its CMakeCache.txt.

    Under AddressSanitizer memory figures mean nothing (shadow memory, quarantine)
    and every sanitizer slows the proxy down, so tests relax those checks only.
    """
    cache = os.path.join(os.path.dirname(os.path.abspath(harness.BINARY)), "CMakeCache.txt")
    try:
        with open(cache) as f:
            for line in f:
                if line.startswith("GP_SANITIZE:"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return ""
