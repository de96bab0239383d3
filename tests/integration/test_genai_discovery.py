"""Capability discovery (SPEC-MODELS §2): after LOAD GENAI MODELS TO RUNTIME the endpoints of
the named models are probed in the shapes of llama-server, TEI, Ollama and OpenAI-style services,
and runtime_genai_endpoints shows what they said; a contradiction with the configuration is a
warning there and in the log (never the key); an unreachable endpoint says so; genai-probe_interval_ms
re-probes; a llama-server still loading its model makes a statement wait, not fail."""
import time
import unittest

import harness
from service import FakeService, genai

KEY = "disc0very-k3y"
COLUMNS = ("probe_state", "probe_detail", "probed_at", "discovered_model", "discovered_kind",
           "discovered_dimension", "discovered_context", "discovered_slots",
           "discovered_batch_documents", "discovered_batch_tokens", "warning")


class DiscoveryTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.services = {}
        cls.proxy = None
        try:
            # An embedding-only llama-server (it answers /rerank 501) and a reranker.
            cls.services["plain"] = FakeService(api_key=KEY, model_id="tiny-embed",
                                                kind="embed").start()
            cls.services["ranker"] = FakeService(kind="rerank").start()
            cls.gone_port = harness.free_port()  # nothing listens there
            cls.proxy = harness.Proxy(genai={"embedding_uri": "lexical:", "rerank_uri": "lexical:",
                                             "retry_backoff_ms": 10,
                                             "endpoint_failure_threshold": 2}).start()
            plain = cls.services["plain"]
            endpoints = {
                "llama": ("auto", plain.url("/embedding"), 0, "embed"),
                "tei": ("tei", plain.url("/embed"), 0, "embed"),
                "ollama": ("ollama", plain.url("/api/embed"), 0, "embed"),
                "openai": ("openai", plain.url("/v1/embeddings"), 0, "embed"),
                "cohere": ("cohere", plain.url("/v1/rerank"), 0, "rerank"),
                "lexical": ("auto", "lexical:", 0, "embed"),
                "wrongdim": ("llama", plain.url("/embedding"), 99, "embed"),
                "wrongkind": ("auto", cls.services["ranker"].url("/embedding"), 0, "embed"),
                "down": ("auto", f"http://127.0.0.1:{cls.gone_port}/embedding", 0, "embed"),
            }
            with cls.proxy.admin() as admin:
                harness.query(admin, f"INSERT INTO genai_credentials VALUES ('k', '{KEY}')")
                for name, (fmt, uri, dims, kind) in endpoints.items():
                    cred = "k" if uri.startswith(plain.url("")) else ""
                    harness.query(admin, "INSERT INTO genai_models (name, kind, format, provider_model, "
                                         "credential, dimensions, timeout_ms) VALUES "
                                         f"('{name}', '{kind}', '{fmt}', 'tiny-embed', '{cred}', "
                                         f"{dims}, 5000)")
                    harness.query(admin, "INSERT INTO genai_endpoints (model_name, uri) VALUES "
                                         f"('{name}', '{uri}')")
                harness.query(admin, "LOAD GENAI MODELS TO RUNTIME")
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.proxy is not None:
            cls.proxy.cleanup()
        for svc in cls.services.values():
            svc.stop()

    def discovered(self, model):
        with self.proxy.admin() as admin:
            rows = harness.query(admin, f"SELECT {', '.join(COLUMNS)} FROM runtime_genai_endpoints "
                                        f"WHERE model_name = '{model}'")
        self.assertEqual(len(rows), 1, model)
        return dict(zip(COLUMNS, rows[0]))

    def wait_for(self, model, done, timeout=15):
        deadline = time.time() + timeout
        row = self.discovered(model)
        while not done(row) and time.time() < deadline:
            time.sleep(0.1)
            row = self.discovered(model)
        return row

    def probed(self, model):
        return self.wait_for(model, lambda r: int(r["probed_at"]) > 0)

    def test_llama_server_shape(self):
        row = self.probed("llama")
        self.assertEqual(row["probe_state"], "ok", row)
        self.assertEqual(row["discovered_model"], "tiny-embed")
        self.assertEqual(row["discovered_kind"], "embed")
        self.assertEqual(int(row["discovered_dimension"]), self.services["plain"].dimension)
        self.assertEqual(int(row["discovered_context"]), 512)
        self.assertEqual(int(row["discovered_slots"]), 4)
        self.assertEqual(row["warning"], "")
        self.assertLessEqual(abs(int(row["probed_at"]) - time.time()), 120)

    def test_tei_shape(self):
        row = self.probed("tei")
        self.assertEqual(row["probe_state"], "ok", row)
        self.assertEqual(row["discovered_model"], "tiny-embed")
        self.assertEqual(row["discovered_kind"], "embed")
        self.assertEqual(int(row["discovered_context"]), 512)
        self.assertEqual(int(row["discovered_batch_documents"]), 32)
        self.assertEqual(int(row["discovered_batch_tokens"]), 16384)
        self.assertIsNone(row["discovered_dimension"])  # /info does not say

    def test_ollama_shape(self):
        row = self.probed("ollama")
        self.assertEqual(row["probe_state"], "ok", row)
        self.assertEqual(row["discovered_kind"], "embed")
        self.assertEqual(int(row["discovered_dimension"]), self.services["plain"].dimension)
        self.assertEqual(int(row["discovered_context"]), 512)

    def test_openai_shape(self):
        row = self.probed("openai")
        self.assertEqual(row["probe_state"], "ok", row)
        self.assertEqual(row["discovered_model"], "tiny-embed")

    def test_probes_carry_the_credential_and_are_not_statements(self):
        self.probed("llama")
        stats = self.services["plain"].stats()
        self.assertGreater(stats["probes"], 0)
        self.assertEqual(stats["probe_authorization"], "Bearer " + KEY)
        for path in ("/props", "/v1/models", "/info", "/api/show"):
            self.assertIn(path, stats["probes_by_path"])
        self.assertNotIn(KEY, self.proxy.logs())

    def test_nothing_to_probe(self):
        for model in ("cohere", "lexical"):
            row = self.wait_for(model, lambda r: r["probe_detail"] != "")
            self.assertEqual(row["probe_state"], "not_probed", row)
            self.assertNotEqual(row["probe_detail"], "")
            self.assertEqual(int(row["probed_at"]), 0)

    def test_dimension_contradiction_is_a_warning_in_column_and_log(self):
        row = self.wait_for("wrongdim", lambda r: r["warning"] != "")
        self.assertEqual(row["warning"], "the endpoint reports dimension "
                         f"{self.services['plain'].dimension}, but genai_models.dimensions is 99")
        uri = self.services["plain"].url("/embedding")
        logs = self.proxy.logs()
        lines = [l for l in logs.splitlines() if "model 'wrongdim'" in l and uri in l]
        self.assertEqual(len(lines), 1, lines)  # once, not at every probe
        self.assertIn("genai_models.dimensions is 99", lines[0])
        self.assertNotIn(KEY, logs)

    def test_reranker_behind_an_embed_model_is_a_kind_warning(self):
        row = self.wait_for("wrongkind", lambda r: r["warning"] != "")
        self.assertEqual(row["discovered_kind"], "rerank")
        self.assertIn("serves a rerank model", row["warning"])
        self.assertIn("model 'wrongkind'", self.proxy.logs())

    def test_unreachable_endpoint(self):
        row = self.wait_for("down", lambda r: r["probe_state"] != "not_probed")
        self.assertEqual(row["probe_state"], "unreachable", row)
        self.assertIn("transport", row["probe_detail"])
        self.assertNotIn(str(self.gone_port), row["probe_detail"])

    def test_load_genai_variables_probes_again(self):
        self.probed("wrongkind")
        ranker = self.services["ranker"]
        ranker.control(claim_dimension=ranker.dimension + 24)
        with self.proxy.admin() as admin:
            harness.query(admin, "LOAD GENAI VARIABLES TO RUNTIME")
        row = self.wait_for("wrongkind", lambda r: r["discovered_dimension"] is not None and
                            int(r["discovered_dimension"]) == ranker.dimension + 24)
        self.assertEqual(int(row["discovered_dimension"]), ranker.dimension + 24)

    def test_columns_are_only_in_the_runtime_table(self):
        with self.proxy.admin() as admin:
            columns = [r[1] for r in harness.query(admin, "PRAGMA table_info(genai_endpoints)")]
        self.assertNotIn("probe_state", columns)


class ReprobeTest(unittest.TestCase):
    """genai-probe_interval_ms: a change of the service is seen without a LOAD; a llama-server
    loading its model is waited for by a statement."""

    def setUp(self):
        self.service = FakeService().start()
        self.addCleanup(self.service.stop)
        self.proxy = harness.Proxy(genai={"embedding_uri": "lexical:", "rerank_uri": "lexical:",
                                          "retry_backoff_ms": 10, "probe_interval_ms": 300,
                                          "endpoint_failure_threshold": 1,
                                          "endpoint_cooldown_ms": 60000}).start()
        self.addCleanup(self.proxy.cleanup)
        with self.proxy.admin() as admin:
            for sql in ("INSERT INTO genai_models (name, timeout_ms, max_retries) VALUES "
                        "('m', 20000, 1)",
                        f"INSERT INTO genai_endpoints (model_name, uri) VALUES "
                        f"('m', '{self.service.url('/embedding')}')"):
                harness.query(admin, sql)
            # The model is loading when the endpoint is configured, for four seconds.
            self.service.control(loading_ms=4000)
            harness.query(admin, "LOAD GENAI MODELS TO RUNTIME")

    def row(self):
        with self.proxy.admin() as admin:
            return harness.query(admin, "SELECT probe_state, discovered_dimension, warning "
                                        "FROM runtime_genai_endpoints WHERE model_name = 'm'")[0]

    def wait_for(self, done, timeout=15):
        deadline = time.time() + timeout
        row = self.row()
        while not done(row) and time.time() < deadline:
            time.sleep(0.1)
            row = self.row()
        return row

    def test_loading_then_ready_and_a_later_change(self):
        self.assertEqual(self.wait_for(lambda r: r[0] == "loading")[0], "loading")
        # The model loads for a few seconds: the statement waits (no 9102, no 9104) and succeeds,
        # though the endpoint cools down after one failure.
        with self.proxy.client() as conn:
            started = time.time()
            _, rows = genai(conn, {"type": "embed", "model": "m", "documents": ["hello"]})
            self.assertEqual(len(rows), 1)
        self.assertGreater(self.service.stats()["loading_answers"], 0)
        self.assertLess(time.time() - started, 15)
        row = self.wait_for(lambda r: r[0] == "ok")
        self.assertEqual(row[0], "ok")
        self.assertEqual(int(row[1]), self.service.dimension)
        with self.proxy.admin() as admin:
            state = harness.query(admin, "SELECT state FROM stats_genai_endpoints "
                                         "WHERE model = 'm'")[0][0]
        self.assertEqual(state, "online")
        # The service now claims another dimension: the next periodic probe sees it.
        self.service.control(claim_dimension=self.service.dimension + 8)
        row = self.wait_for(lambda r: r[1] is not None and int(r[1]) == self.service.dimension + 8)
        self.assertEqual(int(row[1]), self.service.dimension + 8)


if __name__ == "__main__":
    unittest.main()
