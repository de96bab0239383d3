"""Many idle sessions, and clients that vanish mid-handshake, mid-query and mid-result.

Afterwards the proxy holds no more descriptors than before (± a couple) and
its resident memory is back to its warm baseline (± 10 %).
The 10,000-session variant is `bench/soak.py connections`.
"""
import json
import os
import resource
import socket
import struct
import threading
import time
import unittest

import harness
import rawmysql
from robust_support import (connected_clients, cpu_seconds, fd_breakdown, fd_count,
                            global_stats, open_idle_sessions, raise_fd_limit, rss_kib, sanitizers,
                            wait_until)
from service import FakeService

IDLE_SESSIONS = int(os.environ.get("GP_ROBUST_IDLE_SESSIONS", "2000"))
RSS_PER_SESSION_TARGET = 32 * 1024  # bytes
# The shadow memory of AddressSanitizer and ThreadSanitizer (and ASan's
# quarantine) make resident memory meaningless: under them only descriptors
# and behaviour are checked.
MEASURE_MEMORY = not ({"address", "thread"} & set(sanitizers().split(",")))
# Each session costs one descriptor here and one in the proxy, which inherits
# this limit when it starts.
FD_LIMIT = raise_fd_limit(IDLE_SESSIONS + 1024)


def abort(sock):
    """Closes with RST instead of FIN, as a crashed client would."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class IdleSessionsTest(unittest.TestCase):
    def test_idle_sessions_cost_and_release(self):
        sessions = min(IDLE_SESSIONS, FD_LIMIT - 256)
        self.assertGreaterEqual(sessions, 500, "RLIMIT_NOFILE too low to test: %d" % FD_LIMIT)
        with harness.Proxy() as proxy:
            pid = proxy.proc.pid
            time.sleep(0.3)
            cold_fds, cold_rss = fd_count(pid), rss_kib(pid)
            peaks, rests = [], []
            # Two cycles warm the allocator (its arenas grow, then plateau);
            # the next two must not grow any further.
            for cycle in range(4):
                raws = open_idle_sessions(proxy.client_port, sessions)
                try:
                    self.assertTrue(wait_until(lambda: connected_clients(proxy) == sessions))
                    # Every session answers, even the first one opened.
                    for raw in (raws[0], raws[len(raws) // 2], raws[-1]):
                        raw.command(rawmysql.COM_PING)
                        self.assertTrue(rawmysql.is_ok(raw.read_packet()))
                    fds = fd_count(pid)
                    self.assertGreaterEqual(fds, cold_fds + sessions)
                    self.assertLessEqual(fds, cold_fds + sessions + 4)
                    peaks.append(rss_kib(pid))
                finally:
                    for i, raw in enumerate(raws):
                        abort(raw.sock) if i % 2 else raw.close()
                self.assertTrue(wait_until(lambda: connected_clients(proxy) == 0))
                self.assertTrue(wait_until(lambda: fd_count(pid) <= cold_fds + 2))
                time.sleep(0.2)
                rests.append(rss_kib(pid))
            per_session = (peaks[0] - cold_rss) * 1024 / sessions
            print(f"\n[robust] {sessions} idle sessions: RSS {cold_rss} KiB cold, "
                  f"{peaks} KiB held, {rests} KiB after closing; "
                  f"{per_session / 1024:.1f} KiB per idle session; fds {cold_fds} -> "
                  f"{cold_fds + sessions} -> {fd_count(pid)}")
            if MEASURE_MEMORY:
                self.assertLessEqual(per_session, RSS_PER_SESSION_TARGET)
                self.assertLessEqual(rests[-1], rests[1] * 1.10)
                self.assertLessEqual(peaks[-1], peaks[1] * 1.10)
            self.assertIsNone(proxy.proc.poll())


class AbruptDisconnectTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.service = FakeService().start()
        cls.proxy = harness.Proxy(genai={"embedding_uri": cls.service.url("/embedding"),
                                         "rerank_uri": cls.service.url("/rerank"),
                                         "embedding_timeout_ms": 20000}).start()
        cls.pid = cls.proxy.proc.pid

    @classmethod
    def tearDownClass(cls):
        cls.proxy.cleanup()
        cls.service.stop()

    def breakdown(self):
        return fd_breakdown(self.pid, self.proxy.client_port, (self.service.port,))

    def settle(self, baseline_other):
        """No client sockets left, the other descriptors back to their count."""
        self.assertTrue(wait_until(lambda: connected_clients(self.proxy) == 0), "sessions left")
        ok = wait_until(lambda: (lambda b: b["client"] == 0 and b["other"] <= baseline_other + 2)(
            self.breakdown()))
        self.assertTrue(ok, self.breakdown())

    def login(self):
        raw = rawmysql.RawConnection(self.proxy.client_port)
        self.assertTrue(rawmysql.is_ok(raw.login("app", "secret")))
        return raw

    def test_mid_handshake(self):
        base = self.breakdown()
        for i in range(300):
            raw = rawmysql.RawConnection(self.proxy.client_port)
            greeting = raw.read_greeting()
            response = rawmysql.handshake_response(
                "app", rawmysql.native_scramble("secret", greeting.nonce))
            if i % 3 == 0:
                raw.send_raw(rawmysql.frame(response, seq=1)[:20])
            elif i % 3 == 1:
                raw.send_raw(rawmysql.frame(response, seq=1))  # complete, but never read the OK
            abort(raw.sock) if i % 2 else raw.close()
        self.settle(base["other"])
        self.assertIsNone(self.proxy.proc.poll())

    def test_mid_query_cancels_the_upstream_request(self):
        clients = 40
        with self.proxy.admin() as admin:
            before = global_stats(admin, "stats_genai_global")
            before_fe = global_stats(admin, "stats_mysql_global")
        base = self.breakdown()
        self.service.reset_stats()
        raws = [self.login() for _ in range(clients)]
        for i, raw in enumerate(raws):
            doc = f"abandoned query {i} {time.time()} __delay_ms=8000__"
            raw.command(rawmysql.COM_QUERY,
                        ("GENAI: " + json.dumps({"type": "embed", "documents": [doc]})).encode())
        self.assertTrue(wait_until(lambda: self.service.stats()["in_flight"] == clients, 10),
                        self.service.stats()["in_flight"])
        started = time.monotonic()
        for i, raw in enumerate(raws):
            abort(raw.sock) if i % 2 else raw.close()
        # The proxy notices each departure and drops the upstream request long
        # before the service's 8 s delay ends.
        self.assertTrue(wait_until(lambda: self.service.stats()["in_flight"] == 0, 5),
                        self.service.stats())
        self.assertLess(time.monotonic() - started, 5)
        self.assertEqual(self.service.stats()["cancelled"], clients)
        with self.proxy.admin() as admin:
            after = wait_until(lambda: (lambda s: s if s["requests_in_flight"] == 0 else None)(
                global_stats(admin, "stats_genai_global")), 5)
            self.assertTrue(after, "GENAI requests still in flight")
            after_fe = global_stats(admin, "stats_mysql_global")
        self.assertEqual(after["requests_cancelled"] - before["requests_cancelled"], clients)
        self.assertEqual(after_fe["Client_Connections_aborted"]
                         - before_fe["Client_Connections_aborted"], clients)
        self.settle(base["other"])
        # The service still works through the same proxy.
        with self.proxy.client() as conn:
            rows = harness.query(conn, 'GENAI: {"type":"embed","documents":["after the aborts"]}')
            self.assertEqual(len(rows), 1)


class MidResultTest(unittest.TestCase):
    """Clients that read a few bytes of a large result and go away."""

    DOCUMENTS = 2000
    ROUNDS = 6

    @classmethod
    def setUpClass(cls):
        cls.proxy = harness.Proxy(genai={"lexical_dimensions": 2048}).start()
        cls.pid = cls.proxy.proc.pid

    @classmethod
    def tearDownClass(cls):
        cls.proxy.cleanup()

    def large_request(self, i):
        docs = [f"result {i} row {k} words w{k} x{k % 97}" for k in range(self.DOCUMENTS)]
        return ("GENAI: " + json.dumps({"type": "embed", "documents": docs})).encode()

    def quiet(self):
        """No session left and no GENAI request still being computed."""
        def idle():
            with self.proxy.admin() as admin:
                genai = global_stats(admin, "stats_genai_global")["requests_in_flight"]
                clients = global_stats(admin, "stats_mysql_global")["Client_Connections_connected"]
            return genai == 0 and clients == 0
        self.assertTrue(wait_until(idle, 30))

    def run_round(self, clients):
        failures = []

        def one(i):
            # A tiny receive window: the proxy cannot park the result in kernel
            # buffers, so it is still writing when the client goes away.
            raw = rawmysql.RawConnection(self.proxy.client_port, timeout=90, rcvbuf=4096)
            try:
                if not rawmysql.is_ok(raw.login("app", "secret")):
                    failures.append("login")
                raw.command(rawmysql.COM_QUERY, self.large_request(i))
                if not raw.sock.recv(1000):
                    failures.append("no answer")
            except OSError as e:
                failures.append(repr(e))
            finally:
                abort(raw.sock) if i % 2 else raw.close()
        threads = [threading.Thread(target=one, args=(i,)) for i in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        self.assertEqual(failures, [])
        self.quiet()

    def test_large_result_abandoned_after_a_few_bytes(self):
        # The whole answer is big: check that once, so that the aborts below
        # really leave megabytes unsent.
        with self.proxy.client() as conn:
            with conn.cursor() as cur:
                cur.execute(self.large_request(-1).decode())
                size = sum(len(r[0]) for r in cur.fetchall())
        self.assertGreater(size, 8 << 20)
        with self.proxy.admin() as admin:
            before = global_stats(admin, "stats_genai_global")["requests_total"]
        base_fds = fd_count(self.pid)
        rss = []
        for _ in range(self.ROUNDS):
            self.run_round(6)
            rss.append(rss_kib(self.pid))
        self.assertTrue(wait_until(lambda: fd_count(self.pid) <= base_fds + 2))
        print(f"\n[robust] abandoned large results ({size >> 20} MiB each): RSS after each "
              f"round {rss} KiB, fds {base_fds} -> {fd_count(self.pid)}")
        with self.proxy.admin() as admin:
            self.assertEqual(global_stats(admin, "stats_genai_global")["requests_total"] - before,
                             6 * self.ROUNDS)
        if MEASURE_MEMORY:
            # The allocator reaches its working size in the first rounds (how
            # fast depends on how the aborts overlap); after that, no growth
            # beyond what one round holds at once (its six answers in flight).
            # Leaking the answers would add that much every round.
            warm = max(rss[:self.ROUNDS // 2])
            one_round_kib = 6 * size >> 10
            self.assertLessEqual(max(rss[self.ROUNDS // 2:]), warm * 1.10 + one_round_kib, rss)
        self.assertIsNone(self.proxy.proc.poll())
        with self.proxy.client() as conn:
            rows = harness.query(conn, self.large_request(-2).decode())
            self.assertEqual(len(rows), self.DOCUMENTS)


class DescriptorExhaustionTest(unittest.TestCase):
    """More clients than the proxy's RLIMIT_NOFILE allows: accept() fails with EMFILE.

    The proxy must stay calm (no busy loop, no flood of log lines) and serve
    again as soon as descriptors are free.
    """

    PROXY_FD_LIMIT = 64

    def test_accept_failures_do_not_spin(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        proxy = harness.Proxy()
        proxy.out_of_descriptors = True
        # The child inherits the limit in force when it is started.
        resource.setrlimit(resource.RLIMIT_NOFILE, (self.PROXY_FD_LIMIT, hard))
        try:
            proxy.start()
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        socks = []
        try:
            pid = proxy.proc.pid
            for _ in range(self.PROXY_FD_LIMIT + 40):
                socks.append(socket.create_connection(("127.0.0.1", proxy.client_port), timeout=5))
            socks.append(socket.create_connection(("127.0.0.1", proxy.admin_port), timeout=5))
            self.assertTrue(wait_until(lambda: fd_count(pid) >= self.PROXY_FD_LIMIT - 1, 10))
            time.sleep(0.5)
            cpu, log = cpu_seconds(pid), len(proxy.logs())
            time.sleep(3)
            cpu, log = cpu_seconds(pid) - cpu, len(proxy.logs()) - log
            print(f"\n[robust] at the descriptor limit for 3 s: {cpu:.2f} s CPU, "
                  f"{log} bytes of log")
            self.assertIsNone(proxy.proc.poll())
            for s in socks:
                abort(s)
            socks = []
            # Descriptors are free again: clients are served.
            conn = wait_until(lambda: self.try_client(proxy), 10)
            self.assertTrue(conn)
            conn.close()
            self.assertLess(log, 64 * 1024, "log flood while accept() fails")
            self.assertLess(cpu, 0.3, "busy loop while accept() fails")
        finally:
            for s in socks:
                abort(s)
            proxy.cleanup()

    @staticmethod
    def try_client(proxy):
        try:
            return proxy.client(connect_timeout=2)
        except Exception:
            return None


if __name__ == "__main__":
    unittest.main()
