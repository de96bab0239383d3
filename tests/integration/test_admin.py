"""The admin interface against the real binary: logins, new users and credentials at LOAD,
the mariadb CLI, persistence across restarts and the config file. Statement -> rows/error
behaviour of the admin interface is in tests/sql/admin_*.test."""
import os
import signal
import subprocess
import tempfile
import unittest

import pymysql

import harness

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
        cls.proxy = harness.Proxy().start()
        cls.conn = cls.proxy.admin()

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        cls.proxy.cleanup()

    def test_auth_good_and_bad(self):
        self.assertEqual(scalar(self.conn, "SELECT 1"), "1")  # text, as ProxySQL sends it
        for user, password in (("admin", "wrong"), ("nobody", "admin"), ("admin", "")):
            with self.assertRaises(pymysql.err.OperationalError) as ctx:
                self.proxy.admin(user=user, password=password)
            self.assertEqual(ctx.exception.args[0], 1045, ctx.exception)

    def test_api_key_never_reaches_the_log(self):
        # What admin statements show is in tests/sql/admin_variables.test; this is the log.
        secret = "sk-integration-very-secret"
        harness.query(self.conn, "SET genai-rerank_api_key = '%s'" % secret)
        try:
            harness.query(self.conn, "LOAD GENAI VARIABLES TO RUNTIME")
            harness.query(self.conn, "SHOW VARIABLES LIKE '%api_key'")
            harness.query(self.conn, "SELECT * FROM runtime_global_variables")
        finally:
            harness.query(self.conn, "SET genai-rerank_api_key = ''")
            harness.query(self.conn, "LOAD GENAI VARIABLES TO RUNTIME")
        self.assertNotIn(secret, self.proxy.logs())

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
            self.assertEqual(scalar(conn, "SELECT 1"), "1")
            conn.close()
        finally:
            harness.query(self.conn, "SET admin-admin_credentials = 'admin:admin'")
            harness.query(self.conn, "LOAD ADMIN VARIABLES TO RUNTIME")

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
