"""What applications' drivers rely on beyond single statements: the status
flags of answers the proxy writes itself, the version it announces, and
ProxySQL configuration files. (Each driver stack's own view is tested in
tests/drivers/.)"""
import os
import time
import unittest

import pymysql
from pymysql.constants import SERVER_STATUS

from harness import Proxy, query
from mariadb import MariaDB

EMBED = 'GENAI: {"type":"embed","documents":["hello"]}'
USERS = [
    {"username": "app", "password": "secret", "default_hostgroup": 0},
    {"username": "genai", "password": "genai-pw", "default_hostgroup": 99},
]
IN_TRANS = SERVER_STATUS.SERVER_STATUS_IN_TRANS
AUTOCOMMIT = SERVER_STATUS.SERVER_STATUS_AUTOCOMMIT


class StatusFlagsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()
        cls.db.execute("CREATE TABLE IF NOT EXISTS gp_test.apps (id INT PRIMARY KEY) ENGINE=InnoDB")
        cls.proxy = Proxy(users=USERS, servers=[cls.db.server()]).start()

    @classmethod
    def tearDownClass(cls):
        cls.proxy.cleanup()
        cls.db.cleanup()

    def setUp(self):
        self.db.execute("DELETE FROM gp_test.apps")

    def test_genai_and_ping_inside_a_transaction_report_it(self):
        conn = self.proxy.client(database="gp_test")
        try:
            query(conn, "BEGIN")
            query(conn, "INSERT INTO apps VALUES (1)")
            query(conn, EMBED)
            self.assertTrue(conn.server_status & IN_TRANS, hex(conn.server_status))
            self.assertTrue(conn.server_status & AUTOCOMMIT)
            conn.ping(reconnect=False)
            self.assertTrue(conn.server_status & IN_TRANS, hex(conn.server_status))
            conn.rollback()
            query(conn, EMBED)
            self.assertFalse(conn.server_status & IN_TRANS, hex(conn.server_status))
            self.assertEqual(self.db.execute("SELECT COUNT(*) FROM gp_test.apps")[0][0], 0)
        finally:
            conn.close()

    def test_autocommit_off_is_reported_with_and_without_backend(self):
        for user, password in (("app", "secret"), ("genai", "genai-pw")):
            conn = self.proxy.client(user=user, password=password)
            try:
                conn.autocommit(False)
                query(conn, EMBED)
                self.assertFalse(conn.server_status & AUTOCOMMIT, (user, hex(conn.server_status)))
                conn.autocommit(True)
                query(conn, EMBED)
                self.assertTrue(conn.server_status & AUTOCOMMIT, (user, hex(conn.server_status)))
            finally:
                conn.close()

    def test_local_transaction_without_backend(self):
        conn = self.proxy.client(user="genai", password="genai-pw")
        try:
            query(conn, "START TRANSACTION")
            query(conn, EMBED)
            self.assertTrue(conn.server_status & IN_TRANS, hex(conn.server_status))
            query(conn, "COMMIT")
            self.assertFalse(conn.server_status & IN_TRANS, hex(conn.server_status))
            # A statement that needs a backend is still refused clearly.
            with self.assertRaises(pymysql.err.OperationalError) as ctx:
                query(conn, "SELECT * FROM t")
            self.assertEqual(ctx.exception.args[0], 9001)
        finally:
            conn.close()


class VersionTest(unittest.TestCase):
    def test_auto_announces_the_backend_version_and_keeps_it(self):
        with MariaDB() as db:
            backend_version = pymysql.connect(host="127.0.0.1", port=db.port, user="app",
                                              password="secret").get_server_info()
            proxy = Proxy(users=USERS, servers=[db.server()])
            try:
                proxy.start()
                deadline = time.time() + 10
                while True:
                    # Learnt from the server's greeting, before any client needs the backend.
                    conn = proxy.client(user="genai", password="genai-pw")
                    announced = conn.get_server_info()
                    version = query(conn, "SELECT VERSION()")[0][0]
                    conn.close()
                    if "MariaDB" in announced or time.time() > deadline:
                        break
                    time.sleep(0.1)
                self.assertEqual(announced, backend_version + "-genaiproxy")
                self.assertEqual(version, announced)
                # The file is written just after the version is learnt.
                path = os.path.join(proxy.datadir, "backend_version")
                while not os.path.exists(path) and time.time() < deadline + 5:
                    time.sleep(0.05)
                with open(path) as f:
                    self.assertEqual(f.read().strip(), backend_version)
                # Without the server, a restart still announces what it learnt.
                proxy.stop()
                db.stop()
                proxy.start()
                conn = proxy.client(user="genai", password="genai-pw")
                self.assertEqual(conn.get_server_info(), backend_version + "-genaiproxy")
                conn.close()
            finally:
                proxy.cleanup()

    def test_an_explicit_version_wins(self):
        with Proxy(users=USERS, mysql={"server_version": "5.7.99"}) as proxy:
            conn = proxy.client(user="genai", password="genai-pw")
            self.assertEqual(conn.get_server_info(), "5.7.99-genaiproxy")
            conn.close()

    def test_fallback_without_any_backend(self):
        with Proxy(users=USERS) as proxy:
            conn = proxy.client(user="genai", password="genai-pw")
            self.assertEqual(conn.get_server_info(), "8.0.36-genaiproxy")
            conn.close()


class ProxysqlConfigTest(unittest.TestCase):
    def test_proxysql_genai_variables_start_with_warnings(self):
        genai = {"enabled": True, "embedding_uri": "lexical:", "rerank_uri": "lexical:",
                 "llm_provider": "openai", "vector_db_path": "/var/lib/proxysql/ai.db",
                 "mcp_enabled": False}
        with Proxy(users=USERS, genai=genai) as proxy:
            conn = proxy.client(user="genai", password="genai-pw")
            self.assertEqual(len(query(conn, EMBED)), 1)
            conn.close()
            logs = proxy.logs()
            for name in ("genai-llm_provider", "genai-vector_db_path", "genai-mcp_enabled"):
                self.assertIn(name + " is not supported by genaiproxy, ignored", logs)

    def test_genai_disabled_in_the_file(self):
        with Proxy(users=USERS, genai={"enabled": False}) as proxy:
            conn = proxy.client(user="genai", password="genai-pw")
            with self.assertRaises(pymysql.err.OperationalError) as ctx:
                query(conn, EMBED)
            self.assertEqual(ctx.exception.args[0], 9106)
            self.assertIn("GenAI module disabled", ctx.exception.args[1])
            self.assertEqual(query(conn, "SELECT @@version_comment")[0][0], "genaiproxy")
            conn.close()


if __name__ == "__main__":
    unittest.main()
