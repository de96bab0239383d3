"""API keys: sent as Authorization: Bearer, never shown back."""
import os
import unittest

import harness
from service import ER_SERVICE_ERROR, ER_UNREACHABLE, GenaiTestCase, as_text

EMBED_KEY = "sk-embed-7f3a9c1e55d0"
ENV_NAME = "GP_TEST_RERANK_KEY"


class ApiKeyTest(GenaiTestCase):
    # The service accepts one key; the rerank key reaches the proxy through the environment.
    service_args = {"api_key": EMBED_KEY}
    genai_vars = {"embedding_api_key": EMBED_KEY, "rerank_api_key": f"env:{ENV_NAME}"}

    @classmethod
    def setUpClass(cls):
        os.environ[ENV_NAME] = EMBED_KEY
        try:
            super().setUpClass()
        finally:
            del os.environ[ENV_NAME]

    def test_bearer_header_is_sent(self):
        _, rows = self.embed(["with key"])
        self.assert_embeddings(rows, ["with key"])
        headers = self.service.stats()["last_headers"]
        self.assertEqual(headers.get("Authorization"), f"Bearer {EMBED_KEY}")

    def test_key_from_environment(self):
        columns, rows = self.rerank("key", ["env key", "other"])
        self.assert_reranked(columns, rows, "key", ["env key", "other"])
        self.assertEqual(self.service.stats()["last_headers"].get("Authorization"),
                         f"Bearer {EMBED_KEY}")

    def test_key_is_never_shown(self):
        with self.proxy.admin() as admin:
            shown = []
            for sql in ("SHOW VARIABLES", "SHOW VARIABLES LIKE 'genai-%'",
                        "SELECT @@genai-embedding_api_key", "SELECT * FROM stats_genai_global"):
                shown += [as_text(v) for row in harness.query(admin, sql) for v in row]
            self.assertTrue(any("genai-embedding_api_key" == v for v in shown))
            for value in shown:
                self.assertNotIn(EMBED_KEY, str(value))
        self.assertNotIn(EMBED_KEY, self.proxy.logs())

    def test_wrong_key_is_a_service_error_without_the_key(self):
        wrong = "sk-wrong-0000-1111"
        with self.proxy.admin() as admin:
            harness.query(admin, f"SET genai-embedding_api_key='{wrong}'")
            harness.query(admin, "LOAD GENAI VARIABLES TO RUNTIME")
            try:
                message = self.assert_error({"type": "embed", "documents": ["x"]},
                                            ER_SERVICE_ERROR, "Invalid API Key")
                self.assertNotIn(wrong, message)
            finally:
                harness.query(admin, f"SET genai-embedding_api_key='{EMBED_KEY}'")
                harness.query(admin, "LOAD GENAI VARIABLES TO RUNTIME")
        self.assertNotIn(wrong, self.proxy.logs())
        self.assert_usable()


    def test_unreachable_error_names_the_uri_not_the_key(self):
        closed = harness.free_port()
        with self.proxy.admin() as admin:
            harness.query(admin, f"SET genai-embedding_uri='http://127.0.0.1:{closed}/embedding'")
            harness.query(admin, "LOAD GENAI VARIABLES TO RUNTIME")
            try:
                message = self.assert_error({"type": "embed", "documents": ["x"]},
                                            ER_UNREACHABLE, f"127.0.0.1:{closed}")
                self.assertNotIn(EMBED_KEY, message)
            finally:
                harness.query(admin, "SET genai-embedding_uri="
                                     f"'{self.service.url('/embedding')}'")
                harness.query(admin, "LOAD GENAI VARIABLES TO RUNTIME")
        self.assert_usable()


class NoApiKeyTest(GenaiTestCase):
    def test_no_authorization_header_without_key(self):
        self.embed(["anonymous"])
        self.assertNotIn("Authorization", self.service.stats()["last_headers"])


if __name__ == "__main__":
    unittest.main()
