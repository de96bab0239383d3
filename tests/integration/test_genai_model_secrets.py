"""Secrets of genai_credentials (docs/MODELS.md): used upstream, found nowhere the proxy writes.

What tests/sql/admin_models.test cannot express: that each kind of secret (literal, env:NAME,
file:PATH) really reaches the service as the bearer token, and that after using them no admin
table of any schema, no stats table and no line of the proxy's log holds one, across a restart.
"""
import os
import unittest

import harness
from service import ER_SERVICE_ERROR, FakeService, as_text, genai

LITERAL = "sk-literal-5c1d9e0a77b2"
ENV_SECRET = "sk-env-13f0aa9d4e61"
FILE_SECRET = "sk-file-8b2e44c0d9f3"
WRONG = "sk-wrong-2a7f61c3e08d"
ENV_NAME = "GP_TEST_MODEL_KEY"
SECRETS = (LITERAL, ENV_SECRET, FILE_SECRET, WRONG)


class ModelSecretsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # One service per key: each accepts only its own.
        cls.services = {key: FakeService(api_key=key).start()
                        for key in (LITERAL, ENV_SECRET, FILE_SECRET)}
        cls.proxy = harness.Proxy(genai={"embedding_uri": "lexical:", "rerank_uri": "lexical:"},
                                  env={ENV_NAME: ENV_SECRET})
        try:
            cls.proxy.start()
        except Exception:
            cls.tearDownClass()
            raise
        cls.key_file = os.path.join(cls.proxy.datadir, "model.key")
        with open(cls.key_file, "w") as f:
            f.write(FILE_SECRET + "\n")
        with cls.proxy.admin() as admin:
            for sql in (
                f"INSERT INTO genai_credentials VALUES ('lit', '{LITERAL}'), "
                f"('env', 'env:{ENV_NAME}'), ('file', 'file:{cls.key_file}'), ('bad', '{WRONG}')",
                "INSERT INTO genai_models (name, credential) VALUES ('m-lit', 'lit'), "
                "('m-env', 'env'), ('m-file', 'file'), ('m-bad', 'bad')",
                "INSERT INTO genai_endpoints (model_name, uri) VALUES "
                f"('m-lit', '{cls.services[LITERAL].url()}'), "
                f"('m-env', '{cls.services[ENV_SECRET].url()}'), "
                f"('m-file', '{cls.services[FILE_SECRET].url()}'), "
                f"('m-bad', '{cls.services[LITERAL].url()}')",
                "LOAD GENAI MODELS TO RUNTIME",
                "SAVE GENAI MODELS TO DISK",
            ):
                harness.query(admin, sql)

    @classmethod
    def tearDownClass(cls):
        cls.proxy.cleanup()
        for service in cls.services.values():
            service.stop()

    def embed_with_each_model(self):
        with self.proxy.client() as conn:
            for model, key in (("m-lit", LITERAL), ("m-env", ENV_SECRET), ("m-file", FILE_SECRET)):
                _, rows = genai(conn, {"type": "embed", "model": model, "documents": ["x"]})
                self.assertEqual(len(rows), 1, model)
                headers = self.services[key].stats()["last_headers"]
                self.assertEqual(headers.get("Authorization"), f"Bearer {key}", model)
                with conn.cursor() as cur:
                    cur.execute(f"SELECT GENAI_EMBED('y', '{model}')")
                    self.assertEqual(len(cur.fetchall()), 1)
            with self.assertRaises(Exception) as refused:
                genai(conn, {"type": "embed", "model": "m-bad", "documents": ["x"]})
            self.assertEqual(refused.exception.args[0], ER_SERVICE_ERROR)
            for secret in SECRETS:
                self.assertNotIn(secret, str(refused.exception))

    def everything_admin_shows(self, admin):
        """Every row of every table of every schema, and the answers of the other verbs."""
        shown = []
        for schema in ("main", "disk", "stats"):
            for (table,) in harness.query(admin, f"SHOW TABLES FROM {schema}"):
                table = as_text(table)
                shown += harness.query(admin, f"SELECT * FROM {schema}.{table}")
                shown += harness.query(admin, f"SHOW CREATE TABLE {schema}.{table}")
        for sql in ("SHOW VARIABLES", "CHECKSUM DISK GENAI MODELS", "CHECKSUM MEMORY GENAI MODELS",
                    "CHECKSUM RUNTIME GENAI MODELS", "SELECT * FROM sqlite_master",
                    "SELECT * FROM disk.sqlite_master"):
            shown += harness.query(admin, sql)
        return [str(as_text(v)) for row in shown for v in row]

    def assert_no_secret_anywhere(self):
        with self.proxy.admin() as admin:
            shown = self.everything_admin_shows(admin)
            self.assertIn("********", shown)
            self.assertIn(f"env:{ENV_NAME}", shown)
            self.assertIn(f"file:{self.key_file}", shown)
            for secret in SECRETS:
                for value in shown:
                    self.assertNotIn(secret, value)
            for table in ("genai_credential_secrets", "disk.genai_credential_secrets"):
                with self.assertRaises(Exception):
                    harness.query(admin, f"SELECT * FROM {table}")
        log = self.proxy.logs()
        for secret in SECRETS:
            self.assertNotIn(secret, log)

    def test_secrets_are_used_and_never_shown_across_a_restart(self):
        self.embed_with_each_model()
        self.assert_no_secret_anywhere()
        # From disk: the literal was kept in the hidden table, env: and file: are read again.
        self.proxy.restart()
        self.embed_with_each_model()
        self.assert_no_secret_anywhere()

    def test_unresolvable_secret_fails_the_load_without_a_value(self):
        with self.proxy.admin() as admin:
            harness.query(admin, "UPDATE genai_credentials SET secret = 'env:GP_TEST_UNSET_KEY' "
                                 "WHERE name = 'env'")
            try:
                with self.assertRaises(Exception) as failed:
                    harness.query(admin, "LOAD GENAI MODELS TO RUNTIME")
                message = str(failed.exception)
                self.assertIn("genai_credentials row 'env'", message)
                self.assertIn("GP_TEST_UNSET_KEY", message)
            finally:
                harness.query(admin, f"UPDATE genai_credentials SET secret = 'env:{ENV_NAME}' "
                                     "WHERE name = 'env'")
        # The failed LOAD changed nothing: the models still work with their keys.
        self.embed_with_each_model()


if __name__ == "__main__":
    unittest.main()
