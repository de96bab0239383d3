"""The per-model limits of genai_models / genai_endpoints through the admin tables and the real
binary (SPEC-MODELS §1-3): dimensions configured and learnt, max_batch_documents splitting a
statement into several upstream requests, an endpoint's max_concurrency, upstream tokens in
stats_genai_usage, the error classes and the latency histogram of stats_genai_endpoints and
their Prometheus form."""
import threading
import unittest
import urllib.request

import harness
from service import ER_INVALID_ANSWER, FakeService, fake_model, parse_vector

DIMENSION = fake_model.DEFAULT_DIMENSION


class ModelLimitsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.service = None
        cls.proxy = None
        try:
            cls.service = FakeService().start()
            cls.metrics_port = harness.free_port()
            cls.proxy = harness.Proxy(admin={"restapi_enabled": True,
                                             "restapi_port": cls.metrics_port}, genai={
                "embedding_uri": "lexical:", "rerank_uri": "lexical:",
                "retry_backoff_ms": 10}).start()
            openai = cls.service.url("/v1/embeddings")
            with cls.proxy.admin() as admin:
                for sql in (
                        f"INSERT INTO genai_models (name, kind, dimensions) VALUES "
                        f"('right', 'embed', {DIMENSION}), ('wrong', 'embed', {DIMENSION + 1}), "
                        f"('learnt', 'embed', 0)",
                        "INSERT INTO genai_models (name, kind, max_batch_documents) VALUES "
                        "('split', 'embed', 3)",
                        "INSERT INTO genai_models (name, kind, max_batch_documents) VALUES "
                        "('split_rerank', 'rerank', 2)",
                        "INSERT INTO genai_models (name, kind) VALUES ('narrow', 'embed')",
                        f"INSERT INTO genai_endpoints (model_name, uri) VALUES "
                        f"('right', '{openai}'), ('wrong', '{openai}'), ('learnt', '{openai}'), "
                        f"('split', '{openai}'), "
                        f"('split_rerank', '{cls.service.url('/v1/rerank')}')",
                        f"INSERT INTO genai_endpoints (model_name, uri, max_concurrency) VALUES "
                        f"('narrow', '{openai}', 2)",
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
        if cls.service is not None:
            cls.service.stop()

    def setUp(self):
        self.service.control()
        self.service.reset_stats()

    def embed(self, conn, text, model):
        rows = harness.query(conn, "SELECT GENAI_EMBED(%s, %s)", (text, model))
        return parse_vector(rows[0][0], "json")

    def endpoint(self, model):
        with self.proxy.admin() as admin:
            columns, rows = harness.query_with_columns(
                admin, f"SELECT * FROM stats_genai_endpoints WHERE model = '{model}'")
        self.assertEqual(len(rows), 1, rows)
        return dict(zip(columns, rows[0]))

    def test_configured_dimensions_are_enforced(self):
        with self.proxy.client() as conn:
            self.assertEqual(self.embed(conn, "fits", "right"),
                             fake_model.embedding("fits", DIMENSION))
            with self.assertRaises(Exception) as ctx:
                self.embed(conn, "does not fit", "wrong")
            code, message = ctx.exception.args[0], str(ctx.exception.args[1])
            self.assertEqual(code, ER_INVALID_ANSWER, message)
            for fragment in ("model 'wrong'", self.service.url("/v1/embeddings"),
                             f"expects vectors of {DIMENSION + 1} dimensions",
                             f"the answer has {DIMENSION}"):
                self.assertIn(fragment, message)
            # The session stays usable.
            self.assertEqual(len(self.embed(conn, "again", "right")), DIMENSION)
        row = self.endpoint("wrong")
        self.assertEqual(int(row["errors_invalid_answer"]), 1)

    def test_learnt_dimensions_survive_a_reload_of_the_same_configuration(self):
        # One document with the fault token is answered one value short, consistently.
        short = ("GENAI: " + '{"type":"embed","model":"learnt",'
                 '"documents":["y __wrong_dimension__"]}')
        with self.proxy.client() as conn:
            self.assertEqual(len(self.embed(conn, "first", "learnt")), DIMENSION)
            with self.proxy.admin() as admin:
                harness.query(admin, "LOAD GENAI MODELS TO RUNTIME")
            with self.assertRaises(Exception) as ctx:
                harness.query(conn, short)
            self.assertEqual(ctx.exception.args[0], ER_INVALID_ANSWER)
            self.assertIn(f"expects vectors of {DIMENSION} dimensions (learnt",
                          str(ctx.exception.args[1]))
            # A changed configuration learns afresh, from its first answer.
            with self.proxy.admin() as admin:
                harness.query(admin, "UPDATE genai_models SET provider_model = 'other' "
                                     "WHERE name = 'learnt'")
                harness.query(admin, "LOAD GENAI MODELS TO RUNTIME")
            harness.query(conn, short)
            with self.assertRaises(Exception) as ctx:
                self.embed(conn, "full size", "learnt")
            self.assertIn(f"expects vectors of {DIMENSION - 1} dimensions",
                          str(ctx.exception.args[1]))

    def test_max_batch_documents_splits_and_joins_in_order(self):
        docs = [f"split document {i}" for i in range(8)]
        with self.proxy.client() as conn:
            with conn.cursor() as cur:
                cur.execute("GENAI: " + '{"type":"embed","model":"split","format":"json",'
                            '"documents":[' + ",".join(f'"{d}"' for d in docs) + "]}")
                rows = cur.fetchall()
        self.assertEqual([parse_vector(r[0], "json") for r in rows],
                         [fake_model.embedding(d, DIMENSION) for d in docs])
        self.assertEqual(self.service.stats()["requests"], 3)  # 3 + 3 + 2

    def test_split_rerank_keeps_the_original_indexes(self):
        docs = ["red apple", "green pear", "red cherry", "blue sky", "red fruit salad"]
        with self.proxy.client() as conn:
            with conn.cursor() as cur:
                cur.execute("GENAI: " + '{"type":"rerank","model":"split_rerank","query":"red fruit",'
                            '"documents":[' + ",".join(f'"{d}"' for d in docs) + "]}")
                rows = cur.fetchall()
        self.assertEqual([(int(r[0]), float(r[1])) for r in rows],
                         fake_model.expected_rerank("red fruit", docs, 0))
        self.assertEqual(self.service.stats()["requests"], 3)

    def test_max_concurrency_bounds_the_requests_in_flight(self):
        self.service.control(delay_ms=100)
        failures = []

        def client(worker):
            try:
                with self.proxy.client() as conn:
                    for i in range(3):
                        text = f"narrow {worker} {i}"
                        if self.embed(conn, text, "narrow") != fake_model.embedding(text,
                                                                                    DIMENSION):
                            failures.append(text)
            except Exception as e:  # noqa: BLE001 (reported by the test)
                failures.append(repr(e))

        threads = [threading.Thread(target=client, args=(w,)) for w in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(failures, [])
        stats = self.service.stats()
        self.assertEqual(stats["requests"], 18)
        self.assertEqual(stats["max_in_flight"], 2)
        self.assertEqual(int(self.endpoint("narrow")["in_flight"]), 0)

    def test_upstream_tokens_are_summed_per_user_model_and_digest(self):
        with self.proxy.admin() as admin:
            harness.query(admin, "SELECT * FROM stats_genai_usage_reset")
        with self.proxy.client() as conn:
            for text in ("one two three", "four five six"):
                self.embed(conn, text, "right")
        with self.proxy.admin() as admin:
            rows = harness.query(admin, "SELECT statements, upstream_tokens FROM stats_genai_usage "
                                        "WHERE model = 'right'")
            models = harness.query(admin, "SELECT upstream_tokens FROM stats_genai_models "
                                          "WHERE model = 'right'")
        # The service counts a text's words as its tokens.
        self.assertEqual([(int(s), int(t)) for s, t in rows], [(2, 6)])
        self.assertEqual(int(models[0][0]), 6)

    def test_error_classes_latency_histogram_and_prometheus(self):
        with self.proxy.client() as conn:
            self.embed(conn, "counted", "right")
            with self.assertRaises(Exception):
                harness.query(conn, "SELECT GENAI_EMBED(%s, 'right')", ("x __http_400__",))
        row = self.endpoint("right")
        self.assertGreaterEqual(int(row["errors_http_4xx"]), 1)
        self.assertEqual(row["state"], "online")
        for column in ("errors_transport", "errors_timeout", "errors_http_429", "errors_http_5xx",
                       "errors_invalid_answer", "latency_sum_ms"):
            self.assertIn(column, row)
        with self.proxy.admin() as admin:
            buckets = harness.query(admin, "SELECT le_ms, requests FROM stats_genai_endpoint_latency "
                                           "WHERE model = 'right'")
        self.assertEqual(buckets[-1][0], "+Inf")
        counts = [int(r[1]) for r in buckets]
        self.assertEqual(counts, sorted(counts))  # cumulative
        self.assertGreaterEqual(counts[-1], 2)
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics",
                                    timeout=10) as r:
            text = r.read().decode()
        self.assertIn("# TYPE genaiproxy_genai_endpoint_latency_seconds histogram", text)
        self.assertIn('genaiproxy_genai_endpoint_latency_seconds_bucket{model="right",endpoint="'
                      + self.service.url("/v1/embeddings") + '",le="+Inf"}', text)
        self.assertIn('genaiproxy_genai_endpoint_latency_seconds_sum{model="right"', text)
        self.assertIn('genaiproxy_genai_endpoints_errors_http_4xx{model="right",endpoint="', text)
        for line in text.splitlines():
            if line.startswith("genaiproxy_genai_endpoint"):
                self.assertNotIn("username", line)
                self.assertNotIn("state=", line)


if __name__ == "__main__":
    unittest.main()
