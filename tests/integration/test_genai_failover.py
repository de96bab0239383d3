"""Named models with two endpoints under load, configured through the admin tables
(genai_models, genai_endpoints, LOAD GENAI MODELS TO RUNTIME): an endpoint killed mid-load
fails no statement, hedging keeps p99 close to p50 with one endpoint answering 10% of its
requests after 2 s, stats_genai_endpoints shows the dead endpoint cooling down, and
stats_genai_usage adds up to what the clients sent (SPEC-MODELS §2-3)."""
import threading
import time
import unittest
import urllib.request

import harness
from service import FakeService, fake_model, parse_vector

THREADS = 8
STATEMENTS = 200
COOLDOWN_MS = 5000


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class FailoverTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = {}
        cls.proxy = None
        try:
            for name in ("a", "b", "slow"):
                cls.services[name] = FakeService().start()
            cls.metrics_port = harness.free_port()
            cls.proxy = harness.Proxy(admin={"restapi_enabled": True,
                                             "restapi_port": cls.metrics_port}, genai={
                "embedding_uri": "lexical:", "rerank_uri": "lexical:",
                "retry_backoff_ms": 10, "endpoint_failure_threshold": 2,
                "endpoint_cooldown_ms": COOLDOWN_MS}).start()
            url = {name: svc.url("/embedding") for name, svc in cls.services.items()}
            with cls.proxy.admin() as admin:
                for sql in (
                        "INSERT INTO genai_models (name, kind, timeout_ms, max_retries) VALUES "
                        "('failover', 'embed', 5000, 3)",
                        "INSERT INTO genai_models (name, kind, timeout_ms, max_retries, "
                        "hedge_after_ms) VALUES ('hedged', 'embed', 5000, 1, 60)",
                        # Equal priority and weight: the load is shared until one dies.
                        f"INSERT INTO genai_endpoints (model_name, uri) VALUES "
                        f"('failover', '{url['a']}'), ('failover', '{url['b']}')",
                        # Every primary goes to the slow one; the other is the hedge.
                        f"INSERT INTO genai_endpoints (model_name, uri, priority) VALUES "
                        f"('hedged', '{url['slow']}', 0), ('hedged', '{url['a']}', 1)",
                        "LOAD GENAI MODELS TO RUNTIME",
                        "SELECT * FROM stats_genai_usage_reset"):
                    harness.query(admin, sql)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.proxy is not None:
            cls.proxy.cleanup()
        for svc in cls.services.values():
            svc.stop()

    def run_load(self, model, on_progress=None):
        """STATEMENTS single-document statements from THREADS clients; returns their latencies.
        Every statement must succeed with the service's own vector."""
        latencies, failures = [], []
        done = [0]
        lock = threading.Lock()

        def client(worker):
            try:
                conn = self.proxy.client()
            except Exception as e:  # noqa: BLE001 (reported by the test)
                failures.append(repr(e))
                return
            with conn:
                for i in range(worker, STATEMENTS, THREADS):
                    text = f"{model} document {i}"
                    started = time.monotonic()
                    try:
                        rows = harness.query(conn, "SELECT GENAI_EMBED(%s, %s)", (text, model))
                        got = parse_vector(rows[0][0], "json")
                        if got != fake_model.embedding(text, fake_model.DEFAULT_DIMENSION):
                            failures.append(f"{text}: wrong vector")
                    except Exception as e:  # noqa: BLE001 (reported by the test)
                        failures.append(f"{text}: {e!r}")
                    with lock:
                        latencies.append(time.monotonic() - started)
                        done[0] += 1
                        count = done[0]
                    if on_progress:
                        on_progress(count)

        threads = [threading.Thread(target=client, args=(w,)) for w in range(THREADS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(failures, [])
        self.assertEqual(len(latencies), STATEMENTS)
        return latencies

    def endpoints(self, model):
        with self.proxy.admin() as admin:
            columns, rows = harness.query_with_columns(
                admin, f"SELECT * FROM stats_genai_endpoints WHERE model = '{model}' ORDER BY uri")
        return {row[1]: dict(zip(columns, row)) for row in rows}

    def assert_usage(self, model):
        """stats_genai_usage adds up to what the clients sent on `model`."""
        with self.proxy.admin() as admin:
            rows = harness.query(
                admin, "SELECT SUM(statements), SUM(documents), SUM(errors), COUNT(*) "
                       f"FROM stats_genai_usage WHERE model = '{model}' AND username = 'app'")
        statements, documents, errors, count = (int(v) for v in rows[0])
        self.assertGreaterEqual(count, 1)
        self.assertEqual((statements, documents, errors), (STATEMENTS, STATEMENTS, 0))

    def test_endpoint_killed_mid_load_fails_no_statement(self):
        for svc in self.services.values():
            svc.control(delay_ms=20)
        killed = threading.Event()

        def kill_b(count):
            if count >= STATEMENTS // 4 and not killed.is_set():
                killed.set()
                self.services["b"].kill()

        self.run_load("failover", on_progress=kill_b)
        self.assertTrue(killed.is_set())

        a_uri, b_uri = self.services["a"].url("/embedding"), self.services["b"].url("/embedding")
        rows = self.endpoints("failover")
        self.assertEqual(sorted(rows), sorted([a_uri, b_uri]))
        dead, alive = rows[b_uri], rows[a_uri]
        self.assertIn(dead["state"], ("cooling_down", "probing"), dead)
        self.assertGreaterEqual(int(dead["consecutive_failures"]), 2, dead)
        self.assertGreaterEqual(int(dead["errors"]), 2, dead)
        self.assertGreater(int(dead["cooldown_remaining_ms"]), 0, dead)
        self.assertTrue(dead["last_error"].startswith("transport: "), dead)
        self.assertGreater(int(dead["last_error_time"]), 0, dead)
        self.assertEqual(alive["state"], "online", alive)
        self.assertEqual(int(alive["consecutive_failures"]), 0, alive)
        self.assertGreater(int(alive["retries"]), 0, alive)
        self.assertEqual(int(alive["in_flight"]) + int(dead["in_flight"]), 0)
        # Every statement had its answer: the requests add up to the statements and the failures.
        self.assertEqual(int(alive["requests"]) + int(dead["requests"]),
                         STATEMENTS + int(dead["errors"]) + int(alive["errors"]))
        self.assert_usage("failover")

        # Prometheus: model and endpoint labels only, never the state or the error text.
        metrics = self.prometheus()
        lines = [line for line in metrics.splitlines()
                 if line.startswith("genaiproxy_genai_endpoints_requests{")]
        self.assertIn(f'genaiproxy_genai_endpoints_requests{{model="failover",'
                      f'endpoint="{b_uri}"}} {dead["requests"]}', lines)
        self.assertNotIn("last_error=", metrics)
        self.assertNotIn("state=", metrics)

    def prometheus(self):
        harness.wait_port(self.metrics_port)
        url = f"http://127.0.0.1:{self.metrics_port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.read().decode()

    def test_hedging_keeps_p99_close_to_p50(self):
        self.services["a"].control(delay_ms=50)
        # Every 10th request of the slow endpoint is answered after 2 s.
        self.services["slow"].control(delay_ms=50, slow_every=10, slow_ms=2000)
        started = time.monotonic()
        latencies = self.run_load("hedged")
        elapsed = time.monotonic() - started
        p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
        print(f"\nhedged: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
              f"max {max(latencies) * 1000:.0f} ms, {elapsed:.1f} s", flush=True)
        self.assertLess(p99, 3 * p50, (p50, p99))
        self.assertLess(elapsed, 20)
        rows = self.endpoints("hedged")
        slow, fast = (rows[self.services[n].url("/embedding")] for n in ("slow", "a"))
        self.assertGreaterEqual(int(fast["hedges"]), STATEMENTS // 10 - 2, fast)
        self.assertEqual(slow["state"], "online", slow)
        self.assert_usage("hedged")


if __name__ == "__main__":
    unittest.main()
