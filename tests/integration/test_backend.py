"""Ordinary SQL through the proxy to a private MariaDB: forwarding, pooling,
session state, large results, prepared statements and backend failures."""
import os
import struct
import threading
import time
import unittest

import pymysql
from pymysql.constants import CLIENT, COMMAND

from harness import Proxy, query
from mariadb import MariaDB

USERS = [
    {"username": "app", "password": "secret", "default_hostgroup": 0},
    {"username": "other", "password": "other-pw", "default_hostgroup": 0},
    # Exists on the backend with another password.
    {"username": "badpw", "password": "not-the-password", "default_hostgroup": 0},
]


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


class BackendTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()
        cls.db.create_user("badpw", "the-real-password")
        cls.db.execute("CREATE TABLE IF NOT EXISTS gp_test.items "
                       "(id INT PRIMARY KEY AUTO_INCREMENT, name VARCHAR(64)) ENGINE=InnoDB")
        cls.proxy = Proxy(users=USERS, servers=[cls.db.server()]).start()

    @classmethod
    def tearDownClass(cls):
        cls.proxy.cleanup()
        cls.db.cleanup()

    def client(self, **kw):
        kw.setdefault("database", "gp_test")
        return self.proxy.client(**kw)

    def test_crud(self):
        c = self.client()
        query(c, "DELETE FROM items")
        query(c, "INSERT INTO items (name) VALUES ('a'), ('b'), ('c')")
        self.assertEqual(query(c, "SELECT name FROM items ORDER BY name"), (("a",), ("b",), ("c",)))
        with c.cursor() as cur:
            self.assertEqual(cur.execute("UPDATE items SET name = 'z' WHERE name = 'b'"), 1)
            self.assertEqual(cur.execute("DELETE FROM items WHERE name = 'a'"), 1)
        self.assertEqual(query(c, "SELECT name FROM items ORDER BY name"), (("c",), ("z",)))
        direct = self.db.connect(database="gp_test")
        self.assertEqual(query(direct, "SELECT COUNT(*) FROM items"), ((2,),))

    def test_transactions_commit_and_rollback(self):
        c = self.client()
        query(c, "CREATE TABLE IF NOT EXISTS tx (v INT) ENGINE=InnoDB")
        query(c, "DELETE FROM tx")
        direct = self.db.connect(database="gp_test")
        query(c, "BEGIN")
        query(c, "INSERT INTO tx VALUES (1)")
        self.assertEqual(query(c, "SELECT COUNT(*) FROM tx"), ((1,),))
        self.assertEqual(query(direct, "SELECT COUNT(*) FROM tx"), ((0,),))
        query(c, "ROLLBACK")
        self.assertEqual(query(c, "SELECT COUNT(*) FROM tx"), ((0,),))
        c.begin()
        query(c, "INSERT INTO tx VALUES (2)")
        c.commit()
        self.assertEqual(query(direct, "SELECT v FROM tx"), ((2,),))

    def test_multi_statement_results(self):
        c = self.client(client_flag=CLIENT.MULTI_STATEMENTS)
        with c.cursor() as cur:
            cur.execute("SELECT 1; SELECT 'two', 2; DO 0; SELECT 3")
            self.assertEqual(cur.fetchall(), ((1,),))
            self.assertTrue(cur.nextset())
            self.assertEqual(cur.fetchall(), (("two", 2),))
            self.assertTrue(cur.nextset())
            self.assertTrue(cur.nextset())
            self.assertEqual(cur.fetchall(), ((3,),))
            self.assertFalse(cur.nextset())
        self.assertEqual(query(c, "SELECT 4"), ((4,),))

    def test_session_state_behaves_as_direct(self):
        c = self.client()
        query(c, "SET @v = 'mine'")
        query(c, "SET SESSION sql_mode = 'ANSI_QUOTES'")
        other = self.client()
        self.assertEqual(query(other, "SELECT @v"), ((None,),))
        self.assertNotIn("ANSI_QUOTES", query(other, "SELECT @@sql_mode")[0][0])
        self.assertEqual(query(c, "SELECT @v"), (("mine",),))
        self.assertEqual(query(c, "SELECT @@sql_mode"), (("ANSI_QUOTES",),))
        query(c, "CREATE TEMPORARY TABLE t_tmp (a INT)")
        query(c, "INSERT INTO t_tmp VALUES (5)")
        self.assertEqual(query(c, "SELECT a FROM t_tmp"), ((5,),))
        with self.assertRaises(pymysql.err.ProgrammingError):
            query(other, "SELECT a FROM t_tmp")
        # USE and COM_INIT_DB move the session, and only it.
        u = self.client()
        query(u, "USE mysql")
        self.assertEqual(query(u, "SELECT DATABASE()"), (("mysql",),))
        self.assertEqual(query(self.client(), "SELECT DATABASE()"), (("gp_test",),))
        u.select_db("gp_test")
        self.assertEqual(query(u, "SELECT DATABASE()"), (("gp_test",),))
        # Errors leave the session usable.
        with self.assertRaises(pymysql.err.ProgrammingError) as e:
            query(u, "SELECT * FROM no_such_table")
        self.assertEqual(e.exception.args[0], 1146)
        self.assertEqual(query(u, "SELECT LAST_INSERT_ID() >= 0"), ((1,),))
        # LAST_INSERT_ID() after an insert sees that insert's id.
        query(u, "INSERT INTO items (name) VALUES ('id-check')")
        expected = query(self.db.connect(database="gp_test"),
                         "SELECT MAX(id) FROM items WHERE name = 'id-check'")[0][0]
        self.assertEqual(query(u, "SELECT LAST_INSERT_ID()"), ((expected,),))

    def test_large_result_streams_with_bounded_memory(self):
        c = self.client(cursorclass=pymysql.cursors.SSCursor)
        pid = self.proxy.proc.pid
        before = rss_kib(pid)
        total = 0
        rows = 0
        with c.cursor() as cur:
            cur.execute("SELECT REPEAT('x', 1000000) FROM seq_1_to_110")
            for (value,) in cur.fetchall_unbuffered():
                total += len(value)
                rows += 1
                if rows % 10 == 0:
                    after = rss_kib(pid)
                    self.assertLess(after - before, 64 * 1024, f"proxy RSS grew by {after - before} KiB")
        self.assertEqual(rows, 110)
        self.assertGreaterEqual(total, 100 * 1000 * 1000)
        self.assertLess(rss_kib(pid) - before, 64 * 1024)
        self.assertEqual(list(query(c, "SELECT 'after'")), [("after",)])

    def test_prepared_statements_are_forwarded(self):
        c = self.client()
        c._execute_command(COMMAND.COM_STMT_PREPARE, "SELECT ? * 2 AS doubled")
        prepare_ok = c._read_packet()
        data = prepare_ok.get_all_data()
        self.assertEqual(data[0], 0, "prepare OK")
        stmt_id, columns, params = struct.unpack("<IHH", data[1:9])
        self.assertEqual((columns, params), (1, 1))
        eof_packets = not (c.client_flag & (1 << 24))  # CLIENT_DEPRECATE_EOF
        c._read_packet()  # parameter definition
        if eof_packets:
            self.assertEqual(c._read_packet().get_all_data()[0], 0xFE)
        c._read_packet()  # column definition
        if eof_packets:
            self.assertEqual(c._read_packet().get_all_data()[0], 0xFE)
        execute = (struct.pack("<BIBI", COMMAND.COM_STMT_EXECUTE, stmt_id, 0, 1) +
                   b"\x00\x01" + struct.pack("<H", 8) + struct.pack("<q", 21))
        c._write_bytes(struct.pack("<I", len(execute))[:3] + b"\x00" + execute)
        c._next_seq_id = 1
        self.assertEqual(c._read_packet().get_all_data(), b"\x01")  # one column
        c._read_packet()  # column definition
        if eof_packets:
            self.assertEqual(c._read_packet().get_all_data()[0], 0xFE)
        row = c._read_packet().get_all_data()
        self.assertEqual(row[0], 0)  # binary row header
        value = row[2:]  # after the header and the one-byte NULL bitmap
        decoded = set()
        if len(value) >= 8:
            decoded |= {struct.unpack("<q", value[:8])[0], struct.unpack("<d", value[:8])[0]}
        if value and value[0] < 251:
            decoded.add(value[1:1 + value[0]].decode(errors="replace"))
        self.assertTrue({42, 42.0, "42"} & decoded, f"binary row {row!r}")
        self.assertEqual(c._read_packet().get_all_data()[0], 0xFE)  # end of result
        self.assertEqual(query(c, "SELECT 'text protocol still fine'"), (("text protocol still fine",),))

    def test_wrong_backend_credentials_is_a_clear_error(self):
        c = self.proxy.client(user="badpw", password="not-the-password")
        with self.assertRaises(pymysql.err.OperationalError) as e:
            query(c, "SELECT 1")
        self.assertEqual(e.exception.args[0], 1045)
        self.assertIn("Access denied", e.exception.args[1])
        self.assertIn(f"127.0.0.1:{self.db.port}", e.exception.args[1])
        self.assertEqual(query(self.client(), "SELECT 1"), ((1,),))

    def test_document_from_sql_runs_on_the_backend(self):
        c = self.client()
        query(c, "CREATE TABLE IF NOT EXISTS docs (id INT PRIMARY KEY, body TEXT)")
        query(c, "REPLACE INTO docs VALUES (1, 'red apples'), (2, 'green pears'), (3, 'apple pie')")
        cols, rows = None, None
        with c.cursor() as cur:
            cur.execute('GENAI: {"type": "rerank", "query": "apple pie", '
                        '"document_from_sql": "SELECT body, id FROM gp_test.docs"}')
            cols = [d[0] for d in cur.description]
            rows = cur.fetchall()
        self.assertEqual(cols, ["body", "id", "score"])
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[0][:2], ("apple pie", 3))
        with self.assertRaises(pymysql.err.ProgrammingError) as e:
            query(c, 'GENAI: {"type": "embed", "document_from_sql": "SELECT body FROM gp_test.nope"}')
        self.assertEqual(e.exception.args[0], 1146)
        self.assertEqual(query(c, "SELECT 'usable'"), (("usable",),))

    def test_connection_pool_stats(self):
        c = self.client()
        for _ in range(5):
            query(c, "SELECT 1")
        admin = self.proxy.admin()
        cols_rows = query(admin, "SELECT hostgroup, srv_host, srv_port, status, ConnUsed, ConnFree, "
                                 "ConnOK, Queries FROM stats_mysql_connection_pool")
        self.assertEqual(len(cols_rows), 1)
        hg, host, port, status, used, free, ok, queries = cols_rows[0]
        self.assertEqual((str(hg), host, str(port), status), ("0", "127.0.0.1", str(self.db.port), "ONLINE"))
        self.assertGreaterEqual(int(queries), 5)
        self.assertGreaterEqual(int(ok), 1)
        glob = dict(query(admin, "SELECT Variable_Name, Variable_Value FROM stats_mysql_global"))
        self.assertGreaterEqual(int(glob["ConnPool_get_conn_success"]), 5)


class BackendFailureTest(unittest.TestCase):
    def test_backend_killed_mid_query_gives_a_clear_error(self):
        with MariaDB() as db:
            with Proxy(users=USERS[:1], servers=[db.server()], mysql={"shun_recovery_time_sec": 1}) as proxy:
                c = proxy.client(database="gp_test", read_timeout=30)
                self.assertEqual(query(c, "SELECT 1"), ((1,),))
                killer = threading.Timer(0.5, db.kill)
                killer.start()
                started = time.time()
                with self.assertRaises(pymysql.err.OperationalError) as e:
                    query(c, "SELECT SLEEP(20)")
                killer.join()
                self.assertLess(time.time() - started, 10)
                self.assertEqual(e.exception.args[0], 9001)
                self.assertIn("Lost connection to backend server", e.exception.args[1])
                # New clients get a clear error instead of hanging.
                fresh = proxy.client()
                started = time.time()
                with self.assertRaises(pymysql.err.OperationalError) as e:
                    query(fresh, "SELECT 1")
                self.assertEqual(e.exception.args[0], 9001)
                self.assertLess(time.time() - started, 10)
                # And the server is used again once it is back.
                db.start()
                proxy_client = None
                deadline = time.time() + 15
                while time.time() < deadline:
                    try:
                        proxy_client = proxy.client()
                        self.assertEqual(query(proxy_client, "SELECT 7"), ((7,),))
                        break
                    except pymysql.err.OperationalError:
                        time.sleep(0.3)
                self.assertIsNotNone(proxy_client)
                self.assertEqual(query(proxy_client, "SELECT 8"), ((8,),))


if __name__ == "__main__":
    unittest.main()
