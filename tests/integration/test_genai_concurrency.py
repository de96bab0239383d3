"""Many clients at once, clients that vanish mid-request, and runtime reconfiguration."""
import json
import os
import socket
import ssl
import threading
import time
import unittest

import pymysql
from pymysql.constants import COMMAND

import harness
from service import (ER_OVERLOADED, ER_UNREACHABLE, FakeService, GenaiTestCase, fake_model, genai,
                     genai_stats, parse_vector, statement)


def wait_for(predicate, timeout=5.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


class ConcurrentClientsTest(GenaiTestCase):
    CLIENTS = 200

    def client_session(self, n, barrier, failures):
        try:
            conn = self.proxy.client()
        except Exception as e:  # noqa: BLE001 - reported below with the client number
            failures.append(f"client {n}: connect: {e!r}")
            return
        try:
            barrier.wait(timeout=60)
            docs = [f"client {n} document {k} unique text" for k in range(3)]
            _, rows = genai(conn, {"type": "embed", "documents": docs})
            got = [parse_vector(r[0]) for r in rows]
            if got != [fake_model.embedding(d) for d in docs]:
                failures.append(f"client {n}: wrong embeddings")
            query = f"client {n} document"
            _, rows = genai(conn, {"type": "rerank", "query": query, "documents": docs})
            if [(int(r[0]), float(r[1])) for r in rows] != fake_model.expected_rerank(query, docs):
                failures.append(f"client {n}: wrong rerank")
        except Exception as e:  # noqa: BLE001
            failures.append(f"client {n}: {e!r}")
        finally:
            conn.close()

    def test_two_hundred_concurrent_clients(self):
        # Each upstream request takes 100 ms: run one after the other, 400 would take 40 s.
        self.service.control(delay_ms=100)
        self.service.reset_stats()
        barrier = threading.Barrier(self.CLIENTS)
        failures = []
        threads = [threading.Thread(target=self.client_session, args=(n, barrier, failures))
                   for n in range(self.CLIENTS)]
        started = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        elapsed = time.monotonic() - started
        self.assertEqual(failures, [])
        stats = self.service.stats()
        self.assertEqual(stats["requests"], 2 * self.CLIENTS)
        self.assertGreaterEqual(stats["max_in_flight"], 16)
        self.assertLess(elapsed, 30.0)


class LimitsTest(GenaiTestCase):
    genai_vars = {"max_queue": 3, "endpoint_concurrency": 2, "batch_size": 7}

    def test_batches_are_split_and_reassembled(self):
        docs = [f"split batch document {i}" for i in range(20)]
        self.service.reset_stats()
        _, rows = self.embed(docs)
        self.assert_embeddings(rows, docs)
        self.assertEqual(self.service.stats()["requests"], 3)  # 7 + 7 + 6
        columns, rows = self.rerank("batch document", docs, top_n=5)
        self.assert_reranked(columns, rows, "batch document", docs, top_n=5)

    def test_overloaded_beyond_max_queue(self):
        self.service.control(delay_ms=1500)
        conns = [self.proxy.client() for _ in range(3)]
        try:
            for i, conn in enumerate(conns):
                conn._execute_command(COMMAND.COM_QUERY, statement(
                    {"type": "embed", "documents": [f"queued {i}"]}))
            with self.proxy.admin() as admin:
                self.assertTrue(wait_for(lambda: genai_stats(admin)["requests_in_flight"] == 3))
            self.assert_error({"type": "embed", "documents": ["one too many"]}, ER_OVERLOADED,
                              "max_queue")
            for i, conn in enumerate(conns):
                result = conn._read_query_result()
                self.assertEqual(result, 1)
                self.assertEqual(parse_vector(conn._result.rows[0][0]),
                                 fake_model.embedding(f"queued {i}"))
        finally:
            for conn in conns:
                conn.close()
        # The upstream never saw more than genai-endpoint_concurrency requests at once.
        self.assertLessEqual(self.service.stats()["max_in_flight"], 2)
        self.service.control()
        self.assert_usable()


class CancelTest(GenaiTestCase):
    def assert_disconnect_cancels(self, sql, tls=False, close_notify=False):
        with self.proxy.admin() as admin:
            before = genai_stats(admin)
            self.service.reset_stats()
            kw = {}
            if tls:
                context = ssl.create_default_context(
                    cafile=os.path.join(self.proxy.datadir, "proxysql-ca.pem"))
                if close_notify:
                    # TLS 1.2 sends the alert as an alert record the proxy can tell from a
                    # statement without decrypting; TLS 1.3 hides it (see OPERATIONS.md).
                    context.maximum_version = ssl.TLSVersion.TLSv1_2
                kw = {"ssl": context}
            conn = self.proxy.client(**kw)
            # Send the statement without waiting for its answer, then vanish.
            conn._execute_command(COMMAND.COM_QUERY, sql)
            self.assertTrue(wait_for(lambda: self.service.stats()["in_flight"] == 1),
                            "the request never reached the service")
            if close_notify:
                # A TLS close_notify alert first: bytes to read, but not a statement.
                conn._sock.settimeout(0.5)
                try:
                    conn._sock.unwrap().close()
                except (OSError, ValueError):
                    conn._sock.close()
            else:
                conn._sock.shutdown(socket.SHUT_RDWR)
                conn._sock.close()
            disconnected = time.monotonic()

            def cancelled():
                now = genai_stats(admin)
                return (now["requests_cancelled"] > before["requests_cancelled"]
                        and now["requests_in_flight"] == 0)
            self.assertTrue(wait_for(cancelled, timeout=2.0), genai_stats(admin))
            # Well before the service would have answered: the upstream request was aborted.
            self.assertTrue(wait_for(lambda: self.service.stats()["cancelled"] == 1, timeout=2.0))
            self.assertLess(time.monotonic() - disconnected, 2.5)
        self.assert_usable()

    def test_client_disconnect_cancels_the_request(self):
        self.assert_disconnect_cancels(
            statement({"type": "embed", "documents": ["__delay_ms=3000__"]}))

    def test_tls_client_disconnect_cancels_the_request(self):
        for close_notify in (False, True):
            with self.subTest(close_notify=close_notify):
                self.assert_disconnect_cancels(
                    statement({"type": "embed", "documents": ["__delay_ms=3000__"]}),
                    tls=True, close_notify=close_notify)

    def test_client_disconnect_cancels_a_sql_function(self):
        self.assert_disconnect_cancels("SELECT GENAI_EMBED('__delay_ms=3000__') AS v")

    def test_pipelined_statement_after_a_sql_function_is_answered(self):
        conn = self.proxy.client()
        try:
            # Both statements leave before the first answer: the second is
            # input waiting its turn, not a client going away.
            conn._execute_command(COMMAND.COM_QUERY,
                                  "SELECT GENAI_EMBED('__delay_ms=300__ pipelined') AS v")
            conn._next_seq_id = 0
            conn._execute_command(COMMAND.COM_QUERY, "SELECT GENAI_EMBED('second') AS w")
            self.assertEqual(conn._read_query_result(), 1)
            self.assertEqual(json.loads(conn._result.rows[0][0]),
                             fake_model.embedding("__delay_ms=300__ pipelined"))
            conn._next_seq_id = 1  # the second answer's sequence starts after its command
            self.assertEqual(conn._read_query_result(), 1)
            self.assertEqual(json.loads(conn._result.rows[0][0]), fake_model.embedding("second"))
        finally:
            conn.close()

    def test_many_disconnects_leave_nothing_in_flight(self):
        conns = []
        for i in range(20):
            conn = self.proxy.client()
            conn._execute_command(COMMAND.COM_QUERY, statement(
                {"type": "rerank", "query": f"q{i} __delay_ms=3000__", "documents": ["a", "b"]}))
            conns.append(conn)
        self.assertTrue(wait_for(lambda: self.service.stats()["in_flight"] == 20))
        for conn in conns:
            # shutdown, not just close: PyMySQL's buffered reader keeps the descriptor open.
            conn._sock.shutdown(socket.SHUT_RDWR)
            conn._sock.close()
        with self.proxy.admin() as admin:
            self.assertTrue(wait_for(lambda: genai_stats(admin)["requests_in_flight"] == 0,
                                     timeout=2.5), genai_stats(admin))
        self.assertTrue(wait_for(lambda: self.service.stats()["in_flight"] == 0, timeout=2.5))
        self.assert_usable()


class RuntimeChangeTest(unittest.TestCase):
    def test_uri_change_applies_to_new_requests_only(self):
        with FakeService() as first, FakeService() as second, \
                harness.Proxy(genai={"embedding_uri": first.url("/embedding")}) as proxy:
            conn = proxy.client()
            genai(conn, {"type": "embed", "documents": ["to first"]})
            self.assertEqual(first.stats()["requests"], 1)

            # A slow request in flight on the first service must finish there.
            slow_result = {}

            def slow():
                with proxy.client() as c:
                    slow_result["rows"] = genai(c, {"type": "embed",
                                                    "documents": ["__delay_ms=1500__ slow"]})[1]
            worker = threading.Thread(target=slow)
            worker.start()
            self.assertTrue(wait_for(lambda: first.stats()["in_flight"] == 1))
            with proxy.admin() as admin:
                harness.query(admin, f"SET genai-embedding_uri='{second.url('/embedding')}'")
                harness.query(admin, "LOAD GENAI VARIABLES TO RUNTIME")
            _, rows = genai(conn, {"type": "embed", "documents": ["to second"]})
            self.assertEqual(parse_vector(rows[0][0]), fake_model.embedding("to second"))
            self.assertEqual(second.stats()["requests"], 1)
            worker.join(timeout=10)
            self.assertEqual(parse_vector(slow_result["rows"][0][0]),
                             fake_model.embedding("__delay_ms=1500__ slow"))
            self.assertEqual(first.stats()["requests"], 2)
            conn.close()

    def test_threads_change_keeps_serving(self):
        with FakeService() as svc, harness.Proxy(genai={"embedding_uri": svc.url()}) as proxy:
            conn = proxy.client()
            with proxy.admin() as admin:
                for threads in (1, 6, 2):
                    harness.query(admin, f"SET genai-threads={threads}")
                    harness.query(admin, "LOAD GENAI VARIABLES TO RUNTIME")
                    docs = [f"threads {threads} doc {i}" for i in range(5)]
                    _, rows = genai(conn, {"type": "embed", "documents": docs})
                    self.assertEqual([parse_vector(r[0]) for r in rows],
                                     [fake_model.embedding(d) for d in docs])
                    # Surplus threads leave once their last request is done.
                    self.assertTrue(wait_for(
                        lambda: genai_stats(admin)["threads_running"] == threads, timeout=3.0),
                        genai_stats(admin)["threads_running"])
            conn.close()

    def test_service_restart(self):
        with FakeService() as svc, harness.Proxy(genai={"embedding_uri": svc.url()}) as proxy:
            conn = proxy.client()
            genai(conn, {"type": "embed", "documents": ["before"]})
            svc.kill()
            with self.assertRaises(pymysql.err.MySQLError) as ctx:
                genai(conn, {"type": "embed", "documents": ["while down"]})
            self.assertEqual(ctx.exception.args[0], ER_UNREACHABLE)
            svc.start()
            # Pooled keep-alive connections to the old process are dead: the proxy must not fail.
            for i in range(3):
                _, rows = genai(conn, {"type": "embed", "documents": [f"after {i}"]})
                self.assertEqual(parse_vector(rows[0][0]), fake_model.embedding(f"after {i}"))
            conn.close()


if __name__ == "__main__":
    unittest.main()
