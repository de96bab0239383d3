"""Every GENAI error class is a clear MySQL error and leaves the session usable."""
import time
import unittest

import pymysql

import harness
from service import (ER_INPUT_TOO_LONG, ER_INVALID_ANSWER, ER_INVALID_REQUEST, ER_SERVICE_ERROR,
                     ER_TIMEOUT, ER_UNREACHABLE, FakeService, GenaiTestCase, fake_model, genai)


class InvalidRequestTest(GenaiTestCase):
    """The rules of invalid requests (9101) are in tests/sql/genai_errors.test; PyMySQL
    cannot show the SQLSTATE."""

    def test_sqlstate_is_42000(self):
        # PyMySQL drops the SQLSTATE; the mariadb CLI prints it.
        result = self.proxy.cli('GENAI: {"type": "embed", "documents": []}',
                                port=self.proxy.client_port, user="app", password="secret")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn(f"ERROR {ER_INVALID_REQUEST} (42000)", result.stderr)


class ServiceErrorTest(GenaiTestCase):
    def test_llama_input_too_large_is_its_own_error(self):
        # llama-server's HTTP 500 "input (N tokens) is too large to process".
        self.assert_error({"type": "embed", "documents": ["a", "b __http_500__"]},
                          ER_INPUT_TOO_LONG, "document 2", "1880 tokens")
        self.assert_usable()

    def test_http_400_carries_the_service_message(self):
        self.assert_error({"type": "rerank", "query": "__http_400__", "documents": ["a"]},
                          ER_SERVICE_ERROR, "fake service rejects the request")
        self.assert_usable()

    def test_http_503(self):
        self.assert_error({"type": "embed", "documents": ["__http_503__"]}, ER_SERVICE_ERROR,
                          "fake service is unavailable (503)")
        self.assert_usable()

    def test_other_services_error_envelopes(self):
        # OpenAI: {"error": {"message", "type", "param", "code"}}; TEI: {"error": "...", "error_type"}.
        self.assert_error({"type": "embed", "documents": ["__http_429__"]}, ER_SERVICE_ERROR,
                          "Rate limit reached for requests")
        self.assert_error({"type": "embed", "documents": ["__http_422__"]}, ER_INPUT_TOO_LONG,
                          "document 1", "600 tokens, context 512 tokens")
        self.assert_usable()

    def test_global_fault_mode(self):
        self.service.control(mode="http_500")
        self.assert_error({"type": "embed", "documents": ["plain"]}, ER_INPUT_TOO_LONG,
                          "document 1")
        self.service.control()
        self.assert_usable()

    def test_connection_reset_without_answer(self):
        with self.assertRaises(pymysql.err.MySQLError) as ctx:
            self.embed(["__reset__"])
        self.assertIn(ctx.exception.args[0], (ER_UNREACHABLE, ER_INVALID_ANSWER))
        self.assert_usable()


class InvalidAnswerTest(GenaiTestCase):
    def check(self, request):
        self.assert_error(request, ER_INVALID_ANSWER)
        self.assert_usable()

    def test_embed_answers(self):
        for fault in ("truncated_json", "not_json", "wrong_count", "null_value", "nan",
                      "wrong_dimension", "bad_index"):
            with self.subTest(fault=fault):
                self.check({"type": "embed", "documents": ["x", "y", f"z __{fault}__"]})

    def test_rerank_answers(self):
        for fault in ("truncated_json", "not_json", "wrong_count", "null_value", "nan",
                      "bad_index"):
            with self.subTest(fault=fault):
                self.check({"type": "rerank", "query": f"q __{fault}__",
                            "documents": ["x", "y", "z"]})


class TimeoutTest(GenaiTestCase):
    genai_vars = {"embedding_timeout_ms": 800, "rerank_timeout_ms": 800}

    def test_timeout_names_the_elapsed_time(self):
        started = time.monotonic()
        message = self.assert_error({"type": "embed", "documents": ["__delay_ms=5000__"]},
                                    ER_TIMEOUT)
        elapsed = time.monotonic() - started
        self.assertGreaterEqual(elapsed, 0.7)
        self.assertLess(elapsed, 3.0)
        self.assertRegex(message, r"\d+ ?ms")
        self.assert_usable()

    def test_rerank_timeout(self):
        self.assert_error({"type": "rerank", "query": "__delay_ms=5000__", "documents": ["a"]},
                          ER_TIMEOUT)
        self.assert_usable()

    def test_slow_but_in_time_succeeds(self):
        _, rows = self.embed(["__delay_ms=200__ fine"])
        self.assert_embeddings(rows, ["__delay_ms=200__ fine"])

    def test_runtime_timeout_change(self):
        with self.proxy.admin() as admin:
            harness.query(admin, "SET genai-embedding_timeout_ms=300")
            harness.query(admin, "LOAD GENAI VARIABLES TO RUNTIME")
            try:
                started = time.monotonic()
                self.assert_error({"type": "embed", "documents": ["__delay_ms=2000__"]},
                                  ER_TIMEOUT)
                self.assertLess(time.monotonic() - started, 0.75)
            finally:
                harness.query(admin, "SET genai-embedding_timeout_ms=800")
                harness.query(admin, "LOAD GENAI VARIABLES TO RUNTIME")
        self.assert_usable()


class ServiceDownTest(unittest.TestCase):
    def test_connection_refused_then_recovery(self):
        closed = harness.free_port()  # nothing listens there
        uri = f"http://127.0.0.1:{closed}/embedding"
        with harness.Proxy(genai={"embedding_uri": uri,
                                  "rerank_uri": f"http://127.0.0.1:{closed}/rerank"}) as proxy, \
                FakeService() as live:
            conn = proxy.client()
            for request in ({"type": "embed", "documents": ["a"]},
                            {"type": "rerank", "query": "q", "documents": ["a"]}):
                with self.assertRaises(pymysql.err.MySQLError) as ctx:
                    genai(conn, request)
                code, message = ctx.exception.args[0], ctx.exception.args[1]
                self.assertEqual(code, ER_UNREACHABLE, message)
                self.assertIn(f"127.0.0.1:{closed}", message)
            # Pointing the module at a live service heals the same session.
            with proxy.admin() as admin:
                harness.query(admin, f"SET genai-embedding_uri='{live.url('/embedding')}'")
                harness.query(admin, "LOAD GENAI VARIABLES TO RUNTIME")
            _, rows = genai(conn, {"type": "embed", "documents": ["back"]})
            self.assertEqual([float(x) for x in rows[0][0].split(",")],
                             fake_model.embedding("back"))
            conn.close()


if __name__ == "__main__":
    unittest.main()
