"""The resilient service path against the implicit default model (genai-embedding_uri):
retries that wait out Retry-After, a 503 followed by success, a connection reset, and the
cooldown that fails fast. Several endpoints per model, failover and hedging under load are
test_genai_failover.py."""
import time
import unittest

from service import ER_SERVICE_ERROR, ER_UNREACHABLE, GenaiTestCase


class RetryTest(GenaiTestCase):
    genai_vars = {"retry_backoff_ms": 50, "max_retries": 2}

    def setUp(self):
        super().setUp()
        self.service.reset_stats()

    def test_429_with_retry_after_is_waited_out_within_the_timeout(self):
        self.service.control(fail_next=1, fail_status=429, retry_after=1)
        started = time.monotonic()
        _, rows = self.embed(["rate limited once"])
        elapsed = time.monotonic() - started
        self.assert_embeddings(rows, ["rate limited once"])
        self.assertEqual(self.service.stats()["requests"], 2)
        self.assertGreaterEqual(elapsed, 0.95)
        self.assertLess(elapsed, 5)

    def test_503_then_success(self):
        self.service.control(fail_next=2, fail_status=503)
        _, rows = self.rerank("q", ["a", "b"])
        self.assertEqual(len(rows), 2)
        self.assertEqual(self.service.stats()["requests"], 3)

    def test_connection_reset_is_retried(self):
        self.service.control(fail_next=1, fail_status=0)
        _, rows = self.embed(["reset once"])
        self.assert_embeddings(rows, ["reset once"])
        self.assertEqual(self.service.stats()["requests"], 2)

    def test_failures_beyond_the_retries_name_the_attempts(self):
        self.service.control(fail_next=3, fail_status=503)
        message = self.assert_error({"type": "embed", "documents": ["x"]}, ER_SERVICE_ERROR,
                                    "HTTP 503", "after 3 attempts")
        self.assertNotIn("cooling", message)
        self.assert_usable()


class CooldownTest(GenaiTestCase):
    genai_vars = {"max_retries": 0, "endpoint_failure_threshold": 2,
                  "endpoint_cooldown_ms": 1500}

    def test_cooling_endpoint_fails_fast_then_a_probe_brings_it_back(self):
        self.service.control(mode="http_503")
        for _ in range(2):
            self.assert_error({"type": "embed", "documents": ["x"]}, ER_SERVICE_ERROR, "HTTP 503")
        self.service.reset_stats()
        started = time.monotonic()
        self.assert_error({"type": "embed", "documents": ["x"]}, ER_UNREACHABLE,
                          "cooling down", "genai-embedding_uri")
        self.assertLess(time.monotonic() - started, 0.5)
        self.assertEqual(self.service.stats()["requests"], 0)
        self.service.control()
        time.sleep(1.6)
        self.assert_usable()
        self.assertEqual(self.service.stats()["requests"], 1)


if __name__ == "__main__":
    unittest.main()
