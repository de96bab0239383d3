"""Admin on loopback by default, credentials enforced on both interfaces, secrets never shown.

Secrets (API keys, literal or `env:NAME`, user and admin passwords) must not
appear in logs (at the most verbose level), SHOW VARIABLES, SELECT @@,
variable tables, stats tables, metrics or GENAI error messages.
"""
import os
import re
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.request

import pymysql

import harness
from robust_support import wait_until
from service import ER_SERVICE_ERROR, ER_UNREACHABLE, FakeService, genai

ER_ACCESS_DENIED = 1045

EMBED_KEY = "sk-ROBUST-EMBED-LITERAL-7f3a9c"
RERANK_ENV = "GP_ROBUST_RERANK_KEY"
RERANK_KEY = "sk-ROBUST-RERANK-FROMENV-51d2e8"
WRONG_KEY = "sk-ROBUST-WRONG-KEY-c0ffee"
USER_PASSWORD = "pw-ROBUST-USER-91ab"
WRONG_PASSWORD = "pw-ROBUST-ATTEMPT-4d4d"
ADMIN_PASSWORD = "pw-ROBUST-ADMIN-e5e5"
OPS_PASSWORD = "pw-ROBUST-OPS-2b2b"
URI_PASSWORD = "pw-ROBUST-IN-URI-8c8c"
SECRETS = (EMBED_KEY, RERANK_KEY, WRONG_KEY, USER_PASSWORD, WRONG_PASSWORD, ADMIN_PASSWORD,
           OPS_PASSWORD, URI_PASSWORD)


def listening_addresses(pid):
    """Local (address, port) of every listening TCP socket of the process."""
    inodes = set()
    for name in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{name}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    out = set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            parts = line.split()
            if parts[3] == "0A" and parts[9] in inodes:  # state LISTEN
                addr, port = parts[1].split(":")
                ip = socket.inet_ntoa(bytes.fromhex(addr)[::-1])
                out.add((ip, int(port, 16)))
    return out


class AdminDefaultsTest(unittest.TestCase):
    def test_quick_start_config_binds_admin_to_loopback(self):
        with open(os.path.join(harness.SOURCE_DIR, "etc/genaiproxy.cnf")) as f:
            text = f.read()
        block = re.search(r"admin_variables\s*=\s*\{(.*?)\}", text, re.S)
        self.assertIsNotNone(block)
        self.assertRegex(block.group(1), r'(?m)^\s*mysql_ifaces\s*=\s*"127\.0\.0\.1:6032"')

    def test_default_admin_interface_is_loopback_6032(self):
        # A config without admin mysql_ifaces: the proxy must use the default.
        with tempfile.TemporaryDirectory(prefix="gp-test-") as datadir:
            client_port = harness.free_port()
            text = harness.render_config(datadir, 0, client_port,
                                         admin={"admin_credentials": f"robust:{ADMIN_PASSWORD}"})
            text = re.sub(r'(?m)^\s*mysql_ifaces = .*\n', "", text)
            self.assertNotIn("mysql_ifaces", text)
            path = os.path.join(datadir, "genaiproxy.cnf")
            with open(path, "w") as f:
                f.write(text)
            log = open(os.path.join(datadir, "stderr.log"), "wb")
            proc = subprocess.Popen([harness.BINARY, "--config", path, "--datadir", datadir],
                                    stdout=log, stderr=subprocess.STDOUT)
            try:
                started = wait_until(lambda: proc.poll() is not None or
                                     ("127.0.0.1", 6032) in listening_addresses(proc.pid), 20)
                self.assertTrue(started, "neither listening on 127.0.0.1:6032 nor exited")
                if proc.poll() is not None:
                    # Another process holds 6032 on this machine: the refusal
                    # names the default address, which is what is checked.
                    with open(os.path.join(datadir, "stderr.log")) as f:
                        self.assertIn("cannot listen on 127.0.0.1:6032", f.read())
                    return
                listening = listening_addresses(proc.pid)
                self.assertIn(("127.0.0.1", 6032), listening)
                self.assertNotIn(("0.0.0.0", 6032), listening)
                conn = pymysql.connect(host="127.0.0.1", port=6032, user="robust",
                                       password=ADMIN_PASSWORD, autocommit=True)
                try:
                    rows = dict(harness.query(conn, "SELECT variable_name, variable_value FROM "
                                              "global_variables WHERE variable_name = "
                                              "'admin-mysql_ifaces'"))
                    self.assertEqual(rows["admin-mysql_ifaces"], "127.0.0.1:6032")
                finally:
                    conn.close()
            finally:
                proc.terminate()
                proc.wait(15)
                log.close()


class CredentialsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proxy = harness.Proxy(admin={"admin_credentials": f"admin:{ADMIN_PASSWORD}"},
                                  users=[{"username": "app", "password": USER_PASSWORD,
                                          "default_hostgroup": 0}]).start()

    @classmethod
    def tearDownClass(cls):
        cls.proxy.cleanup()

    def assert_denied(self, port, user, password):
        with self.assertRaises(pymysql.err.OperationalError) as ctx:
            pymysql.connect(host="127.0.0.1", port=port, user=user, password=password)
        self.assertEqual(ctx.exception.args[0], ER_ACCESS_DENIED, (port, user, ctx.exception))

    def test_wrong_credentials_refused_on_both_interfaces(self):
        admin, client = self.proxy.admin_port, self.proxy.client_port
        for port, user, password in (
                (admin, "admin", "admin"), (admin, "admin", ""), (admin, "admin", WRONG_PASSWORD),
                (admin, "nobody", ADMIN_PASSWORD), (admin, "", ""),
                (admin, "app", USER_PASSWORD),  # a client account is no admin account
                (client, "app", WRONG_PASSWORD), (client, "app", ""),
                (client, "admin", ADMIN_PASSWORD),  # and the admin account is no client
                (client, "", "")):
            with self.subTest(port="admin" if port == admin else "client", user=user):
                self.assert_denied(port, user, password)
        self.proxy.admin(password=ADMIN_PASSWORD).close()
        self.proxy.client(password=USER_PASSWORD).close()

    def test_many_wrong_attempts_do_not_lock_out_or_crash(self):
        for _ in range(50):
            self.assert_denied(self.proxy.client_port, "app", WRONG_PASSWORD)
        self.proxy.client(password=USER_PASSWORD).close()
        self.assertIsNone(self.proxy.proc.poll())


class SecretsTest(unittest.TestCase):
    """One proxy with every kind of secret configured and exercised, logging at trace level."""

    @classmethod
    def setUpClass(cls):
        cls.embed_service = FakeService(api_key=EMBED_KEY).start()
        cls.rerank_service = FakeService(api_key=RERANK_KEY).start()
        cls.metrics_port = harness.free_port()
        cls.proxy = harness.Proxy(
            genai={"embedding_uri": cls.embed_service.url("/embedding"),
                   "rerank_uri": cls.rerank_service.url("/rerank"),
                   "embedding_api_key": EMBED_KEY, "rerank_api_key": "env:" + RERANK_ENV,
                   "embedding_timeout_ms": 2000},
            admin={"admin_credentials": f"admin:{ADMIN_PASSWORD}",
                   "restapi_enabled": True, "restapi_port": cls.metrics_port},
            users=[{"username": "app", "password": USER_PASSWORD, "default_hostgroup": 0}],
            extra_args=["--log-level", "trace"], env={RERANK_ENV: RERANK_KEY})
        try:
            cls.proxy.start()
            cls.admin = cls.proxy.admin(password=ADMIN_PASSWORD)
            cls.conn = cls.proxy.client(password=USER_PASSWORD)
        except Exception:
            cls.proxy.cleanup()
            cls.embed_service.stop()
            cls.rerank_service.stop()
            raise
        cls.seen = []  # every text shown to a user, checked for secrets at the end

    @classmethod
    def tearDownClass(cls):
        for c in (cls.conn, cls.admin):
            try:
                c.close()
            except Exception:
                pass
        cls.proxy.cleanup()
        cls.embed_service.stop()
        cls.rerank_service.stop()

    def assert_no_secret(self, text, where):
        for secret in SECRETS:
            self.assertNotIn(secret, text, where)
        # Not even a long piece of one (a key cut to fit a message).
        for secret in SECRETS:
            self.assertNotIn(secret[3:-3], text, where)

    def admin_text(self, sql):
        rows = harness.query(self.admin, sql)
        return "\n".join("\t".join(str(c) for c in row) for row in rows)

    def genai_error(self, request):
        with self.assertRaises(pymysql.err.MySQLError) as ctx:
            genai(self.conn, request)
        return ctx.exception.args[0], str(ctx.exception.args[1])

    def set_and_load(self, sql):
        harness.query(self.admin, sql)
        harness.query(self.admin, "LOAD GENAI VARIABLES TO RUNTIME")

    def test_1_keys_are_sent_to_the_services(self):
        _, rows = genai(self.conn, {"type": "embed", "documents": ["authorised"]})
        self.assertEqual(len(rows), 1)
        _, rows = genai(self.conn, {"type": "rerank", "query": "q", "documents": ["a", "b"]})
        self.assertEqual(len(rows), 2)
        self.assertEqual(self.embed_service.stats()["last_headers"]["Authorization"],
                         "Bearer " + EMBED_KEY)
        self.assertEqual(self.rerank_service.stats()["last_headers"]["Authorization"],
                         "Bearer " + RERANK_KEY)

    def test_2_error_messages_hold_no_key(self):
        try:
            self.set_and_load(f"SET genai-embedding_api_key = '{WRONG_KEY}'")
            code, message = self.genai_error({"type": "embed", "documents": ["refused"]})
            self.assertEqual(code, ER_SERVICE_ERROR, message)
            self.assertIn("401", message)
            self.assert_no_secret(message, "401 error")

            closed = harness.free_port()
            self.set_and_load(f"SET genai-embedding_uri = 'http://127.0.0.1:{closed}/embedding'")
            code, message = self.genai_error({"type": "embed", "documents": ["unreachable"]})
            self.assertEqual(code, ER_UNREACHABLE, message)
            self.assertIn(str(closed), message)
            self.assert_no_secret(message, "unreachable error")

            self.set_and_load(f"SET genai-rerank_api_key = '{WRONG_KEY}'")
            code, message = self.genai_error({"type": "rerank", "query": "q", "documents": ["a"]})
            self.assertEqual(code, ER_SERVICE_ERROR, message)
            self.assert_no_secret(message, "rerank 401 error")

        finally:
            self.set_and_load(f"SET genai-embedding_api_key = '{EMBED_KEY}'")
            self.set_and_load(f"SET genai-rerank_api_key = 'env:{RERANK_ENV}'")
            self.set_and_load(f"SET genai-embedding_uri = '{self.embed_service.url()}'")
        _, rows = genai(self.conn, {"type": "embed", "documents": ["authorised again"]})
        self.assertEqual(len(rows), 1)

    def test_2_uri_credentials_are_refused_without_repeating_them(self):
        with self.assertRaises(pymysql.err.MySQLError) as ctx:
            harness.query(self.admin, "SET genai-embedding_uri = "
                          f"'http://user:{URI_PASSWORD}@127.0.0.1:1/embedding'")
        self.assertEqual(ctx.exception.args[0], 1231)
        self.assertIn("genai-embedding_uri", ctx.exception.args[1])
        self.assert_no_secret(str(ctx.exception.args[1]), "uri with credentials")

    def test_3_admin_views_mask_keys(self):
        texts = {}
        for sql in ("SHOW VARIABLES", "SHOW VARIABLES LIKE 'genai-%'",
                    "SHOW VARIABLES LIKE '%api_key%'",
                    "SELECT @@genai-embedding_api_key, @@genai-rerank_api_key",
                    "SELECT * FROM global_variables", "SELECT * FROM runtime_global_variables",
                    "SELECT * FROM disk.global_variables", "SELECT * FROM main.global_variables",
                    "SELECT variable_value FROM global_variables WHERE variable_name LIKE '%key%'",
                    "SELECT group_concat(variable_value) FROM global_variables",
                    "SELECT * FROM runtime_mysql_users"):
            texts[sql] = self.admin_text(sql)
            # The admin sees user passwords and admin credentials in the tables,
            # as in ProxySQL; API keys never.
            for key in (EMBED_KEY, RERANK_KEY, WRONG_KEY):
                self.assertNotIn(key, texts[sql], sql)
                self.assertNotIn(key[3:-3], texts[sql], sql)
        # The env: form is a name, not a secret: it is shown as written.
        self.assertIn("env:" + RERANK_ENV, texts["SHOW VARIABLES LIKE '%api_key%'"])
        self.assertIn("genai-embedding_api_key", texts["SHOW VARIABLES LIKE '%api_key%'"])

    def test_4_hidden_secrets_table_is_out_of_reach(self):
        for sql in ("SELECT * FROM global_secrets", "SELECT * FROM main.global_secrets",
                    "SELECT * FROM disk.global_secrets",
                    "CREATE TABLE stolen AS SELECT * FROM global_secrets",
                    "ATTACH DATABASE '/tmp/gp-robust-steal.db' AS steal"):
            with self.subTest(sql=sql):
                try:
                    text = self.admin_text(sql)
                except pymysql.err.MySQLError as e:
                    text = str(e.args)
                self.assert_no_secret(text, sql)
        self.assertFalse(os.path.exists("/tmp/gp-robust-steal.db"))

    def test_5_stats_and_metrics_hold_no_secret(self):
        tables = [r[0] for r in harness.query(self.admin, "SHOW TABLES FROM stats")] or \
                 ["stats_genai_global", "stats_mysql_global"]
        self.assertIn("stats_genai_global", tables)
        for table in tables:
            self.assert_no_secret(self.admin_text(f"SELECT * FROM stats.{table}"), table)
        body = wait_until(lambda: self.fetch_metrics(), 10)
        self.assertIn("genaiproxy_genai_global_", body)
        self.assert_no_secret(body, "/metrics")

    def fetch_metrics(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics",
                                        timeout=5) as r:
                return r.read().decode()
        except OSError:
            return None

    def test_6_passwords_and_keys_never_logged(self):
        # Admin statements that carry secrets, then logins that fail and succeed.
        for sql in (f"SET admin-admin_credentials = 'admin:{ADMIN_PASSWORD};ops:{OPS_PASSWORD}'",
                    "LOAD ADMIN VARIABLES TO RUNTIME",
                    "INSERT INTO mysql_users (username, password, default_hostgroup) "
                    f"VALUES ('second', '{USER_PASSWORD}', 0)",
                    "LOAD MYSQL USERS TO RUNTIME",
                    f"SET genai-embedding_api_key = '{EMBED_KEY}'",
                    "LOAD GENAI VARIABLES TO RUNTIME", "SAVE GENAI VARIABLES TO DISK",
                    "SAVE MYSQL USERS TO DISK", "SAVE ADMIN VARIABLES TO DISK"):
            harness.query(self.admin, sql)
        with self.assertRaises(pymysql.err.OperationalError):
            self.proxy.client(user="second", password=WRONG_PASSWORD)
        self.proxy.client(user="second", password=USER_PASSWORD).close()
        self.proxy.admin(user="ops", password=OPS_PASSWORD).close()
        with self.assertRaises(pymysql.err.OperationalError):
            self.proxy.admin(user="ops", password=WRONG_PASSWORD)
        # Admin statements that fail while carrying a secret.
        for sql in (f"UPDATE mysql_users SET password = '{OPS_PASSWORD}' WHERE no_such_column = 1",
                    f"SET genai-embedding_api_key = 'env:{OPS_PASSWORD}-'"):
            with self.assertRaises(pymysql.err.MySQLError):
                harness.query(self.admin, sql)
        genai(self.conn, {"type": "embed", "documents": ["logged request"]})
        time.sleep(0.5)  # the file sink may flush asynchronously
        stderr = self.proxy.logs()
        self.assertIn("genaiproxy ready", stderr)
        # The statements that carried secrets were logged, masked.
        self.assertIn("admin: SET genai-embedding_api_key = '********'", stderr)
        self.assertIn("admin: SET admin-admin_credentials = 'admin:********;ops:********'", stderr)
        self.assertIn("authentication failed for user 'second'", stderr)
        self.assert_no_secret(stderr, "stderr")
        log_file = os.path.join(self.proxy.datadir, "genaiproxy.log")
        self.assertTrue(os.path.exists(log_file))
        with open(log_file, errors="replace") as f:
            text = f.read()
        self.assertIn("genaiproxy ready", text)
        self.assert_no_secret(text, "genaiproxy.log")


if __name__ == "__main__":
    unittest.main()
