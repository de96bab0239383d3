"""The admin interface against the real binary: auth, every verb, layers, checksums, masking."""
import os
import signal
import subprocess
import tempfile
import unittest

import pymysql

import harness

GENAI_TARGETS = ["GENAI VARIABLES", "MYSQL VARIABLES", "ADMIN VARIABLES", "MYSQL USERS", "MYSQL SERVERS"]
VERBS = [
    "LOAD {} TO RUNTIME", "LOAD {} TO RUN", "LOAD {} FROM MEMORY", "LOAD {} FROM MEM",
    "SAVE {} FROM RUNTIME", "SAVE {} FROM RUN", "SAVE {} TO MEMORY", "SAVE {} TO MEM",
    "LOAD {} FROM DISK", "LOAD {} TO MEMORY", "LOAD {} TO MEM",
    "SAVE {} TO DISK", "SAVE {} FROM MEMORY", "SAVE {} FROM MEM",
    "LOAD {} FROM CONFIG",
]


def scalar(conn, sql):
    rows = harness.query(conn, sql)
    assert len(rows) == 1, (sql, rows)
    return rows[0][0]


def runtime_value(conn, name):
    return scalar(conn, "SELECT variable_value FROM runtime_global_variables WHERE variable_name = '%s'" % name)


class AdminTest(unittest.TestCase):
    """Statements that leave the proxy as they found it, on one shared process."""

    @classmethod
    def setUpClass(cls):
        cls.proxy = harness.Proxy(env={"GP_IT_KEY": "key-from-env"}).start()
        cls.conn = cls.proxy.admin()

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        cls.proxy.cleanup()

    def expect_error(self, sql, code):
        with self.assertRaises(pymysql.err.MySQLError) as ctx:
            harness.query(self.conn, sql)
        self.assertEqual(ctx.exception.args[0], code, ctx.exception)
        return ctx.exception.args[1]

    def test_auth_good_and_bad(self):
        self.assertEqual(scalar(self.conn, "SELECT 1"), 1)
        for user, password in (("admin", "wrong"), ("nobody", "admin"), ("admin", "")):
            with self.assertRaises(pymysql.err.OperationalError) as ctx:
                self.proxy.admin(user=user, password=password)
            self.assertEqual(ctx.exception.args[0], 1045, ctx.exception)

    def test_every_verb_answers_ok(self):
        for target in GENAI_TARGETS:
            for verb in VERBS:
                sql = verb.format(target)
                with self.conn.cursor() as cur:
                    cur.execute(sql)
                    self.assertIsNone(cur.description, sql)
        self.expect_error("LOAD GENAI VARIABLES TO NOWHERE", 1064)
        self.expect_error("SAVE GENAI VARIABLES FROM DISK", 1064)
        # The proxy still serves after a round of every verb.
        self.assertEqual(runtime_value(self.conn, "genai-threads"), "2")

    def test_set_changes_memory_and_load_publishes(self):
        harness.query(self.conn, "SET genai-lexical_dimensions = 64")
        try:
            self.assertEqual(scalar(self.conn, "SELECT @@genai-lexical_dimensions"), "64")
            self.assertEqual(runtime_value(self.conn, "genai-lexical_dimensions"), "384")
            harness.query(self.conn, "LOAD GENAI VARIABLES TO RUNTIME")
            self.assertEqual(runtime_value(self.conn, "genai-lexical_dimensions"), "64")
            # The GenAI module picked the new dimension up.
            client = self.proxy.client()
            rows = harness.query(client, 'GENAI: {"type": "embed", "documents": ["hello world"]}')
            self.assertEqual(len(rows[0][0].split(",")), 64)
            client.close()
        finally:
            harness.query(self.conn, "SET genai-lexical_dimensions = 384")
            harness.query(self.conn, "LOAD GENAI VARIABLES TO RUNTIME")

    def test_bad_set_is_rejected_and_changes_nothing(self):
        before = scalar(self.conn, "CHECKSUM MEMORY GENAI VARIABLES")
        message = self.expect_error("SET genai-threads = 0", 1231)
        self.assertIn("genai-threads", message)
        self.assertIn("1..256", message)
        self.expect_error("SET genai-embedding_uri = 'ftp://nowhere'", 1231)
        self.expect_error("SET genai-threads = 'many'", 1231)
        self.expect_error("SET genai-no_such_variable = 1", 1193)
        self.assertEqual(scalar(self.conn, "SELECT @@genai-threads"), "2")
        self.assertEqual(scalar(self.conn, "CHECKSUM MEMORY GENAI VARIABLES"), before)

    def test_invalid_table_value_is_not_published(self):
        harness.query(self.conn, "UPDATE global_variables SET variable_value = '0' "
                                 "WHERE variable_name = 'genai-max_queue'")
        try:
            message = self.expect_error("LOAD GENAI VARIABLES TO RUNTIME", 1231)
            self.assertIn("genai-max_queue", message)
            self.assertEqual(runtime_value(self.conn, "genai-max_queue"), "10000")
        finally:
            harness.query(self.conn, "SET genai-max_queue = 10000")

    def test_checksum_changes_exactly_when_a_value_changes(self):
        memory = scalar(self.conn, "CHECKSUM MEMORY MYSQL VARIABLES")
        disk = scalar(self.conn, "CHECKSUM MYSQL VARIABLES")
        self.assertEqual(disk, scalar(self.conn, "CHECKSUM DISK MYSQL VARIABLES"))
        self.assertRegex(memory, r"^0x[0-9A-F]{16}$")
        harness.query(self.conn, "SET mysql-shun_recovery_time_sec = 10")  # same value
        self.assertEqual(scalar(self.conn, "CHECKSUM MEM MYSQL VARIABLES"), memory)
        harness.query(self.conn, "SET mysql-shun_recovery_time_sec = 11")
        try:
            self.assertNotEqual(scalar(self.conn, "CHECKSUM MEMORY MYSQL VARIABLES"), memory)
            self.assertEqual(scalar(self.conn, "CHECKSUM DISK MYSQL VARIABLES"), disk)
        finally:
            harness.query(self.conn, "SET mysql-shun_recovery_time_sec = 10")
        self.assertEqual(scalar(self.conn, "CHECKSUM MEMORY MYSQL VARIABLES"), memory)
        users = scalar(self.conn, "CHECKSUM MEMORY MYSQL USERS")
        harness.query(self.conn, "UPDATE mysql_users SET comment = 'changed' WHERE username = 'app'")
        try:
            self.assertNotEqual(scalar(self.conn, "CHECKSUM MEMORY MYSQL USERS"), users)
        finally:
            harness.query(self.conn, "UPDATE mysql_users SET comment = '' WHERE username = 'app'")
        self.assertEqual(scalar(self.conn, "CHECKSUM MEMORY MYSQL USERS"), users)

    def test_show_variables_and_select_at(self):
        cols, rows = harness.query_with_columns(self.conn, "SHOW VARIABLES LIKE 'genai-%'")
        self.assertEqual(cols, ["Variable_name", "Value"])
        names = [r[0] for r in rows]
        self.assertIn("genai-threads", names)
        self.assertTrue(all(n.startswith("genai-") for n in names), names)
        self.assertIn(("genai-embedding_uri", "lexical:"), rows)
        cols, rows = harness.query_with_columns(self.conn, "SELECT @@genai-threads")
        self.assertEqual(cols, ["@@genai-threads"])
        self.assertEqual(rows, (("2",),))
        rows = harness.query(self.conn, "SELECT * FROM global_variables WHERE variable_name LIKE 'genai-%'")
        self.assertEqual(len(rows), len(names))

    def test_api_keys_are_masked(self):
        secret = "sk-integration-very-secret"
        harness.query(self.conn, "SET genai-rerank_api_key = '%s'" % secret)
        try:
            harness.query(self.conn, "LOAD GENAI VARIABLES TO RUNTIME")
            shown = dict(harness.query(self.conn, "SHOW VARIABLES LIKE '%api_key'"))
            self.assertEqual(shown["genai-rerank_api_key"], "********")
            self.assertEqual(scalar(self.conn, "SELECT @@genai-rerank_api_key"), "********")
            self.assertEqual(runtime_value(self.conn, "genai-rerank_api_key"), "********")
            for table in ("global_variables", "runtime_global_variables"):
                for row in harness.query(self.conn, "SELECT * FROM %s" % table):
                    self.assertNotIn(secret, " ".join(row), table)
            self.expect_error("SELECT * FROM global_secrets", 1105)
        finally:
            harness.query(self.conn, "SET genai-rerank_api_key = ''")
            harness.query(self.conn, "LOAD GENAI VARIABLES TO RUNTIME")
        self.assertNotIn(secret, self.proxy.logs())

    def test_env_api_key_resolves_at_load(self):
        harness.query(self.conn, "SET genai-embedding_api_key = 'env:GP_IT_KEY'")
        try:
            harness.query(self.conn, "LOAD GENAI VARIABLES TO RUNTIME")
            self.assertEqual(runtime_value(self.conn, "genai-embedding_api_key"), "env:GP_IT_KEY")
            harness.query(self.conn, "SET genai-embedding_api_key = 'env:GP_IT_MISSING'")
            message = self.expect_error("LOAD GENAI VARIABLES TO RUNTIME", 1231)
            self.assertIn("GP_IT_MISSING", message)
            self.assertIn("genai-embedding_api_key", message)
            self.assertEqual(runtime_value(self.conn, "genai-embedding_api_key"), "env:GP_IT_KEY")
        finally:
            harness.query(self.conn, "SET genai-embedding_api_key = ''")
            harness.query(self.conn, "LOAD GENAI VARIABLES TO RUNTIME")

    def test_runtime_tables_show_runtime(self):
        harness.query(self.conn, "INSERT INTO mysql_servers (hostgroup_id, hostname, port) "
                                 "VALUES (7, '127.0.0.7', 3306)")
        try:
            self.assertEqual(scalar(self.conn, "SELECT count(*) FROM mysql_servers WHERE hostgroup_id = 7"), 1)
            self.assertEqual(scalar(self.conn, "SELECT count(*) FROM runtime_mysql_servers WHERE hostgroup_id = 7"), 0)
            harness.query(self.conn, "LOAD MYSQL SERVERS TO RUNTIME")
            self.assertEqual(scalar(self.conn, "SELECT hostname FROM runtime_mysql_servers WHERE hostgroup_id = 7"),
                             "127.0.0.7")
        finally:
            harness.query(self.conn, "DELETE FROM mysql_servers WHERE hostgroup_id = 7")
            harness.query(self.conn, "LOAD MYSQL SERVERS TO RUNTIME")
        self.assertEqual(scalar(self.conn, "SELECT count(*) FROM runtime_mysql_servers WHERE hostgroup_id = 7"), 0)

    def test_users_reach_the_client_interface_on_load(self):
        harness.query(self.conn, "INSERT INTO mysql_users (username, password) VALUES ('late', 'pw')")
        try:
            with self.assertRaises(pymysql.err.OperationalError):
                self.proxy.client(user="late", password="pw")
            harness.query(self.conn, "LOAD MYSQL USERS TO RUNTIME")
            self.proxy.client(user="late", password="pw").close()
        finally:
            harness.query(self.conn, "DELETE FROM mysql_users WHERE username = 'late'")
            harness.query(self.conn, "LOAD MYSQL USERS TO RUNTIME")

    def test_admin_credentials_reload(self):
        harness.query(self.conn, "SET admin-admin_credentials = 'admin:admin;radmin:pw2'")
        try:
            harness.query(self.conn, "LOAD ADMIN VARIABLES TO RUNTIME")
            self.assertEqual(runtime_value(self.conn, "admin-admin_credentials"),
                             "admin:********;radmin:********")
            conn = self.proxy.admin(user="radmin", password="pw2")
            self.assertEqual(scalar(conn, "SELECT 1"), 1)
            conn.close()
        finally:
            harness.query(self.conn, "SET admin-admin_credentials = 'admin:admin'")
            harness.query(self.conn, "LOAD ADMIN VARIABLES TO RUNTIME")

    def test_tables_databases_and_stats(self):
        tables = [r[0] for r in harness.query(self.conn, "SHOW TABLES")]
        for name in ("global_variables", "mysql_users", "mysql_servers", "runtime_global_variables",
                     "runtime_mysql_users", "runtime_mysql_servers"):
            self.assertIn(name, tables)
        self.assertNotIn("global_secrets", tables)
        self.assertEqual([r[1] for r in harness.query(self.conn, "SHOW DATABASES")], ["main", "disk", "stats"])
        stats = [r[0] for r in harness.query(self.conn, "SHOW TABLES FROM stats")]
        self.assertIn("stats_genai_global", stats)
        cols, rows = harness.query_with_columns(self.conn, "SELECT * FROM stats_genai_global")
        self.assertEqual(cols, ["Variable_Name", "Variable_Value"])
        self.assertGreater(len(rows), 0)
        self.assertEqual(len(harness.query(self.conn, "SELECT * FROM stats.stats_genai_global")), len(rows))
        create = harness.query(self.conn, "SHOW CREATE TABLE mysql_servers")
        self.assertIn("PRIMARY KEY (hostgroup_id, hostname, port)", create[0][1])

    def test_typed_columns_and_client_probes(self):
        with self.conn.cursor() as cur:
            cur.execute("SELECT port, hostname FROM mysql_servers UNION ALL SELECT 1, 'x'")
            self.assertIsInstance(cur.fetchall()[0][0], int)
        self.assertEqual(scalar(self.conn, "SELECT 2.5"), 2.5)
        self.assertIsNone(scalar(self.conn, "SELECT NULL"))
        self.assertEqual(len(harness.query(self.conn, "select @@version_comment limit 1")), 1)
        self.assertEqual(scalar(self.conn, "SELECT DATABASE()"), "main")
        for sql in ("SET NAMES utf8mb4", "SET autocommit=1", "SET sql_mode=''"):
            harness.query(self.conn, sql)
        self.assertEqual(harness.query(self.conn, "SHOW WARNINGS"), ())

    def test_mariadb_cli(self):
        out = self.proxy.cli("SHOW VARIABLES LIKE 'genai-threads'; SELECT @@genai-threads;")
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("genai-threads\t2", out.stdout)
        bad = self.proxy.cli("SELECT 1", password="nope")
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("1045", bad.stderr)
        err = self.proxy.cli("SET genai-threads = 999")
        self.assertNotEqual(err.returncode, 0)
        self.assertIn("1231", err.stderr)


class AdminPersistenceTest(unittest.TestCase):
    """Restarts: each test owns its process."""

    def setUp(self):
        self.proxy = harness.Proxy(genai={"max_documents": 500})
        self.proxy.start()

    def tearDown(self):
        self.proxy.cleanup()

    def test_save_to_disk_survives_restart_and_kill(self):
        conn = self.proxy.admin()
        harness.query(conn, "SET genai-max_documents = 77")
        harness.query(conn, "SAVE GENAI VARIABLES TO DISK")
        harness.query(conn, "SET genai-max_documents = 88")  # memory only: lost on restart
        conn.close()
        self.proxy.stop(sig=signal.SIGKILL)
        self.proxy.start()
        conn = self.proxy.admin()
        self.assertEqual(scalar(conn, "SELECT @@genai-max_documents"), "77")
        self.assertEqual(runtime_value(conn, "genai-max_documents"), "77")
        # The disk wins over the file, which says 500.
        harness.query(conn, "INSERT INTO mysql_users (username, password) VALUES ('kept', 'pw')")
        harness.query(conn, "SAVE MYSQL USERS TO DISK")
        conn.close()
        self.proxy.restart()
        self.proxy.client(user="kept", password="pw").close()

    def test_initial_rebuilds_from_the_file(self):
        conn = self.proxy.admin()
        harness.query(conn, "SET genai-max_documents = 42")
        harness.query(conn, "SAVE GENAI VARIABLES TO DISK")
        conn.close()
        self.proxy.restart(extra_args=["--initial"])
        conn = self.proxy.admin()
        self.assertEqual(scalar(conn, "SELECT @@genai-max_documents"), "500")
        self.assertEqual(scalar(conn, "SELECT variable_value FROM disk.global_variables "
                                      "WHERE variable_name = 'genai-max_documents'"), "500")
        conn.close()


class AdminConfigFileTest(unittest.TestCase):
    def test_bad_value_names_file_line_and_key(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "bad.cnf")
            with open(path, "w") as f:
                f.write('datadir="%s"\ngenai_variables =\n{\n    threads = 0\n}\n' % tmp)
            out = subprocess.run([harness.BINARY, "--config", path], capture_output=True, text=True,
                                 timeout=30)
            self.assertNotEqual(out.returncode, 0)
            self.assertIn("bad.cnf: line 4: genai_variables.threads", out.stderr + out.stdout)

    def test_syntax_error_names_the_line(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "syntax.cnf")
            with open(path, "w") as f:
                f.write('datadir="%s"\nmysql_variables =\n{\n    threads = \n}\n' % tmp)
            out = subprocess.run([harness.BINARY, "--config", path], capture_output=True, text=True,
                                 timeout=30)
            self.assertNotEqual(out.returncode, 0)
            self.assertIn("syntax.cnf: line 5", out.stderr + out.stdout)


if __name__ == "__main__":
    unittest.main()
