"""genaiproxy as a backend of ProxySQL: what ProxySQL sends to the servers of a hostgroup.
COM_CHANGE_USER and COM_RESET_CONNECTION (it moves and resets backend connections with them)
through libmariadb's mysql_change_user() and mysql_reset_connection(), the monitor's ping and
read_only check, and the SETs ProxySQL sends on a backend connection."""
import unittest

import harness
from libmariadb import Connection, Error
from mariadb import MariaDB

USERS = [
    {"username": "app", "password": "secret", "default_hostgroup": 0},
    {"username": "other", "password": "other-pw", "default_hostgroup": 0},
    # A GENAI-only user: its hostgroup has no server, as behind a ProxySQL query rule.
    {"username": "genai", "password": "genai-pw", "default_hostgroup": 99},
]


def scalar(conn, sql):
    rows = conn.query(sql)
    assert rows is not None and len(rows) == 1, (sql, rows)
    return rows[0][0]


class BehindProxySQLTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()
        cls.db.create_user("other", "other-pw")
        cls.proxy = harness.Proxy(users=USERS, servers=[cls.db.server()]).start()

    @classmethod
    def tearDownClass(cls):
        cls.proxy.cleanup()
        cls.db.cleanup()

    def connect(self, user="app", password="secret", db=None):
        return Connection(self.proxy.client_port, user, password, db)

    def test_reset_connection_resets_session_state_as_mysql_does(self):
        conn = self.connect(db="gp_test")
        try:
            conn.query("SET @x = 42")
            conn.query("CREATE TEMPORARY TABLE gp_reset_tmp (a INT)")
            conn.query("PREPARE gp_stmt FROM 'SELECT 7'")
            conn.query("SET SESSION sql_mode = 'ANSI_QUOTES'")
            self.assertEqual(scalar(conn, "SELECT @x"), "42")
            conn.query("BEGIN")
            conn.query("INSERT INTO gp_reset_tmp VALUES (1)")
            conn.reset_connection()
            self.assertIsNone(scalar(conn, "SELECT @x"))
            with self.assertRaises(Error) as ctx:
                conn.query("SELECT * FROM gp_reset_tmp")
            self.assertEqual(ctx.exception.code, 1146)
            with self.assertRaises(Error) as ctx:
                conn.query("EXECUTE gp_stmt")
            self.assertEqual(ctx.exception.code, 1243)
            self.assertNotIn("ANSI_QUOTES", scalar(conn, "SELECT @@SESSION.sql_mode"))
            # The schema stays, as in MySQL; the session goes on.
            self.assertEqual(scalar(conn, "SELECT DATABASE()"), "gp_test")
            self.assertEqual(scalar(conn, "SELECT 1 + 1"), "2")
        finally:
            conn.close()

    def test_change_user_switches_user_and_resets_state(self):
        conn = self.connect()
        try:
            conn.query("SET @y = 'before'")
            conn.change_user("other", "other-pw", "gp_test")
            self.assertIsNone(scalar(conn, "SELECT @y"))
            self.assertEqual(scalar(conn, "SELECT DATABASE()"), "gp_test")
            self.assertTrue(scalar(conn, "SELECT CURRENT_USER()").startswith("other@"))
            # To a GENAI-only user and back: the proxy answers without a backend.
            conn.change_user("genai", "genai-pw")
            rows = conn.query("GENAI: {\"type\": \"embed\", \"documents\": [\"a\"]}")
            self.assertEqual(len(rows), 1)
            conn.change_user("app", "secret")
            self.assertTrue(scalar(conn, "SELECT CURRENT_USER()").startswith("app@"))
        finally:
            conn.close()

    def test_change_user_with_a_wrong_password_is_refused_and_ends_the_session(self):
        conn = self.connect()
        try:
            with self.assertRaises(Error) as ctx:
                conn.change_user("other", "wrong")
            self.assertEqual(ctx.exception.code, 1045)
            with self.assertRaises(Error):
                conn.query("SELECT 1")
        finally:
            conn.close()
        # The proxy still serves everyone else.
        conn = self.connect()
        self.assertEqual(scalar(conn, "SELECT 1"), "1")
        conn.close()

    def test_monitor_ping_and_read_only(self):
        for user, password in (("app", "secret"), ("genai", "genai-pw")):
            conn = self.connect(user, password)
            try:
                conn.ping()
                self.assertIn(scalar(conn, "SELECT @@global.read_only"), ("0", "OFF"))
            finally:
                conn.close()

    def test_sets_proxysql_sends_on_backend_connections(self):
        # What ProxySQL sends to bring a backend connection to its client's state.
        statements = [
            "SET NAMES utf8mb4 COLLATE utf8mb4_general_ci",
            "SET autocommit=1",
            "SET SESSION sql_mode = 'STRICT_TRANS_TABLES,NO_ENGINE_SUBSTITUTION'",
            "SET time_zone = '+00:00'",
            "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
            "SET character_set_results = NULL",
            "SET SESSION wait_timeout = 28800",
        ]
        for user, password in (("app", "secret"), ("genai", "genai-pw")):
            conn = self.connect(user, password)
            try:
                for sql in statements:
                    self.assertIsNone(conn.query(sql), sql)
                self.assertEqual(scalar(conn, "SELECT @@session.time_zone"), "+00:00")
            finally:
                conn.close()

    def test_counters(self):
        admin = self.proxy.admin()
        def counter(name):
            rows = harness.query(admin, "SELECT Variable_Value FROM stats_mysql_global "
                                        "WHERE Variable_Name = '%s'" % name)
            return int(rows[0][0])
        before_reset = counter("Com_frontend_reset_connection")
        before_change = counter("Com_frontend_change_user")
        conn = self.connect()
        conn.reset_connection()
        conn.reset_connection()
        conn.change_user("other", "other-pw")
        conn.close()
        self.assertEqual(counter("Com_frontend_reset_connection") - before_reset, 2)
        self.assertEqual(counter("Com_frontend_change_user") - before_change, 1)
        admin.close()


if __name__ == "__main__":
    unittest.main()
