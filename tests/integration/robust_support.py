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
UPSTREAM_ERRORS = (9102, 9103, 9104, 9105)


def raise_fd_limit(wanted):
    """Raises this process's soft RLIMIT_NOFILE (children inherit it); returns the new soft limit."""
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

FAULT_TOKENS = ("", "", "", "", "__http_500__", "__http_503__", "__truncated_json__",
                "__not_json__", "__reset__", "__delay_ms=300__", "__wrong_count__")


class Outcome:
    """Tallies of one load run; `problems` lists every answer that broke a rule."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ok = 0
        self.errors = {}
        self.problems = []
        self.slowest = 0.0
        self.requests = 0

    def add_ok(self, elapsed):
        with self.lock:
            self.ok += 1
            self.requests += 1
            self.slowest = max(self.slowest, elapsed)

    def add_error(self, code, elapsed):
        with self.lock:
            self.errors[code] = self.errors.get(code, 0) + 1
            self.requests += 1
            self.slowest = max(self.slowest, elapsed)

    def problem(self, text):
        with self.lock:
            self.requests += 1
            if len(self.problems) < 50:
                self.problems.append(text)

    def summary(self):
        return {"requests": self.requests, "ok": self.ok, "errors": dict(sorted(self.errors.items())),
                "problems": len(self.problems), "slowest_s": round(self.slowest, 2)}


class FaultLoad:
    """`clients` threads, each with its own PyMySQL connection, issuing embed and
    rerank statements with unique documents and random fault tokens.

    Every answer is checked by content against fake_model: a success must be the
    very answer to that client's own request; a failure must be one of
    UPSTREAM_ERRORS and arrive within `deadline_s`.
    """

    def __init__(self, proxy, clients, dimension, deadline_s, fault_rate=0.3, seed=1):
        self.proxy = proxy
        self.clients = clients
        self.dimension = dimension
        self.deadline_s = deadline_s
        self.fault_rate = fault_rate
        self.seed = seed
        self.outcome = Outcome()
        self.stop = threading.Event()
        self.connect_failures = 0
        self.threads = []

    def start(self):
        for i in range(self.clients):
            t = threading.Thread(target=self._client, args=(i,), daemon=True)
            t.start()
            self.threads.append(t)
        return self

    def finish(self, timeout=120):
        self.stop.set()
        for t in self.threads:
            t.join(timeout)
        return [t for t in self.threads if t.is_alive()]

    def _connect(self):
        while not self.stop.is_set():
            try:
                return self.proxy.client(read_timeout=self.deadline_s + 30, connect_timeout=30)
            except pymysql.err.MySQLError:
                self.connect_failures += 1
                time.sleep(0.2)
        return None

    def _client(self, index):
        rng = random.Random(self.seed * 100003 + index)
        conn = self._connect()
        n = 0
        while conn is not None and not self.stop.is_set():
            n += 1
            tag = f"client {index} request {n} nonce {rng.getrandbits(48):x}"
            token = rng.choice(FAULT_TOKENS) if rng.random() < self.fault_rate else ""
            if rng.random() < 0.5:
                docs = [f"{tag} doc {k} {token if k == 0 else ''}".strip() for k in range(rng.randint(1, 4))]
                request = {"type": "embed", "documents": docs}
            else:
                docs = [f"{tag} passage {k} about {rng.choice(['apples', 'rivers', 'stars'])}"
                        for k in range(rng.randint(1, 5))]
                request = {"type": "rerank", "query": f"{tag} apples {token}".strip(),
                           "documents": docs}
            started = time.monotonic()
            try:
                with conn.cursor() as cur:
                    cur.execute("GENAI: " + json.dumps(request))
                    rows = cur.fetchall()
            except pymysql.err.OperationalError as e:
                elapsed = time.monotonic() - started
                code = e.args[0]
                if code in UPSTREAM_ERRORS:
                    if elapsed > self.deadline_s:
                        self.outcome.problem(f"error {code} after {elapsed:.1f}s: {tag}")
                    else:
                        self.outcome.add_error(code, elapsed)
                    continue
                self.outcome.problem(f"unexpected error {e.args} for {tag} after {elapsed:.1f}s")
                try:
                    conn.close()
                except Exception:
                    pass
                conn = self._connect()
                continue
            except pymysql.err.MySQLError as e:
                self.outcome.problem(f"unexpected error {e.args} for {tag}")
                conn = self._connect()
                continue
            elapsed = time.monotonic() - started
            wrong = self._check(request, rows)
            if wrong:
                self.outcome.problem(f"{wrong}: {tag}")
            elif token and not token.startswith("__delay"):
                self.outcome.problem(f"fault {token} answered as a success: {tag}")
            else:
                self.outcome.add_ok(elapsed)
        if conn is not None:
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
        got = [(int(r[0]), float(r[1])) for r in rows]
        if got != expected:
            return "rerank answer does not match its query"
        if [r[2].decode() if isinstance(r[2], bytes) else r[2] for r in rows] != [docs[i] for i, _ in expected]:
            return "rerank documents do not match"
        return None


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
                    table[inode] = (int(local.rsplit(":", 1)[1], 16), int(remote.rsplit(":", 1)[1], 16))
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
