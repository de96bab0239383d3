"""What ProxySQL's monitoring and operator tools read and send on the admin interface: the
stats login (admin-stats_credentials), the query digests, processlist, commands counters, users,
errors and global counters adding up to what the test sent, and the operator verbs (PAUSE and
RESUME, FLUSH LOGS, SAVE CONFIG TO FILE, TRUNCATE of stats tables)."""
import os
import tempfile
import time
import unittest

import pymysql

import struct

import harness
import rawmysql
from mariadb import MariaDB

USERS = [
    {"username": "app", "password": "secret", "default_hostgroup": 0},
    {"username": "genai", "password": "genai-pw", "default_hostgroup": 99},
]


def rows(conn, sql):
    return harness.query(conn, sql)


def as_text(result):
    return [tuple(None if v is None else str(v) for v in row) for row in result]


class ProxySQLToolsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()
        cls.proxy = harness.Proxy(users=USERS, servers=[cls.db.server()]).start()
        cls.admin = cls.proxy.admin()

    @classmethod
    def tearDownClass(cls):
        cls.admin.close()
        cls.proxy.cleanup()
        cls.db.cleanup()

    def global_counter(self, name):
        found = rows(self.admin, "SELECT Variable_Value FROM stats_mysql_global WHERE Variable_Name = '%s'"
                     % name)
        self.assertEqual(len(found), 1, name)
        return int(found[0][0])

    def settled_counter(self, name, expected):
        """The counter once the last statement's end is recorded (just after its answer)."""
        deadline = time.time() + 5
        while True:
            value = self.global_counter(name)
            if value == expected or time.time() > deadline:
                return value
            time.sleep(0.05)

    def test_stats_login_reads_stats_only(self):
        stats = self.proxy.admin(user="stats", password="stats")
        try:
            self.assertGreater(len(rows(stats, "SELECT * FROM stats_mysql_global")), 0)
            self.assertGreater(len(rows(stats, "SELECT * FROM stats.stats_mysql_commands_counters")), 0)
            tables = [r[0] for r in rows(stats, "SHOW TABLES")]
            self.assertIn("stats_mysql_query_digest", tables)
            self.assertNotIn("mysql_users", tables)
            self.assertGreater(len(rows(stats, "SHOW MYSQL STATUS")), 0)
            for sql in ("SELECT * FROM mysql_users", "SELECT * FROM main.global_variables",
                        "SELECT * FROM disk.mysql_servers", "SET genai-threads = 3",
                        "LOAD MYSQL USERS TO RUNTIME", "SAVE MYSQL USERS TO DISK",
                        "SHOW VARIABLES", "SELECT @@genai-threads", "SHOW TABLES FROM main",
                        "DELETE FROM stats_mysql_global", "CHECKSUM MYSQL USERS",
                        "TRUNCATE stats_mysql_query_digest", "PROXYSQL PAUSE",
                        "SELECT * FROM runtime_mysql_users"):
                with self.assertRaises(pymysql.err.MySQLError, msg=sql) as ctx:
                    rows(stats, sql)
                self.assertEqual(ctx.exception.args[0], 1142, (sql, ctx.exception))
                self.assertIn("stats", ctx.exception.args[1])
            # The session stays usable.
            self.assertEqual(len(rows(stats, "SELECT * FROM stats_memory_metrics "
                                             "WHERE Variable_Name = 'SQLite3_memory_bytes'")), 1)
        finally:
            stats.close()
        with self.assertRaises(pymysql.err.OperationalError) as ctx:
            self.proxy.admin(user="stats", password="wrong")
        self.assertEqual(ctx.exception.args[0], 1045)

    def test_digests_counters_and_errors_add_up_to_what_was_sent(self):
        rows(self.admin, "TRUNCATE TABLE stats.stats_mysql_query_digest")
        rows(self.admin, "TRUNCATE TABLE stats_mysql_errors")
        rows(self.admin, "TRUNCATE TABLE stats_mysql_commands_counters")
        questions = self.global_counter("Questions")
        app = self.proxy.client()
        genai = self.proxy.client(user="genai", password="genai-pw")
        try:
            for n in (1, 2, 3, 40):
                rows(app, "SELECT %d" % n)
            rows(app, "SELECT 'x' AS a, 2")
            rows(app, "DO 1")
            # Rows affected and server errors relayed from the backend count too.
            rows(app, "CREATE TEMPORARY TABLE gp_test.gp_digest_t (a INT)")
            rows(app, "INSERT INTO gp_test.gp_digest_t VALUES (1), (2), (3)")
            with self.assertRaises(pymysql.err.MySQLError) as server_error:
                rows(app, "SELECT * FROM gp_no_such_table")
            self.assertEqual(server_error.exception.args[0], 1046)
            for doc in ("alpha", "beta", "gamma"):
                rows(genai, 'GENAI: {"type": "embed", "documents": ["%s"]}' % doc)
            with self.assertRaises(pymysql.err.MySQLError) as ctx:
                rows(genai, "SELECT * FROM t")  # hostgroup 99 has no server
            self.assertEqual(ctx.exception.args[0], 9001)
        finally:
            app.close()
            genai.close()
        # A statement is added once its answer is written: the last one may land a moment after
        # the client has read it.
        deadline = time.time() + 5
        while True:
            digests = as_text(rows(self.admin,
                                   "SELECT hostgroup, schemaname, username, digest_text, count_star, "
                                   "sum_rows_sent, sum_rows_affected FROM stats_mysql_query_digest "
                                   "ORDER BY username, digest_text"))
            if sum(int(d[4]) for d in digests) >= 13 or time.time() > deadline:
                break
            time.sleep(0.05)
        app_rows = [d for d in digests if d[2] == "app"]
        genai_rows = [d for d in digests if d[2] == "genai"]
        self.assertIn(("0", "", "app", "SELECT ?", "4", "4", "0"), app_rows)
        self.assertIn(("0", "", "app", "SELECT ? AS a, ?", "1", "1", "0"), app_rows)
        self.assertIn(("0", "", "app", "DO ?", "1", "0", "0"), app_rows)
        self.assertIn(("0", "", "app", "INSERT INTO gp_test.gp_digest_t VALUES (?), (?), (?)", "1", "0", "3"),
                      app_rows)
        # GENAI statements are answered by the proxy itself: hostgroup -1, one row per document.
        self.assertIn(("-1", "", "genai", 'GENAI: {"type": ?, "documents": [?]}', "3", "3", "0"),
                      genai_rows)
        self.assertIn(("99", "", "genai", "SELECT * FROM t", "1", "0", "0"), genai_rows)
        times = as_text(rows(self.admin, "SELECT min_time, max_time, sum_time, first_seen, last_seen "
                                         "FROM stats_mysql_query_digest WHERE username = 'app' "
                                         "AND digest_text = 'SELECT ?'"))[0]
        self.assertLessEqual(int(times[0]), int(times[1]))
        self.assertLessEqual(int(times[1]), int(times[2]))
        self.assertLessEqual(abs(int(times[4]) - time.time()), 60)
        # The digest hash is ProxySQL's form: 0x and 16 hex digits.
        digest = rows(self.admin, "SELECT digest FROM stats_mysql_query_digest WHERE username = 'app' "
                                  "AND digest_text = 'SELECT ?'")[0][0]
        self.assertRegex(digest, r"^0x[0-9A-F]{16}$")
        self.assertEqual(self.global_counter("Questions") - questions, 13)

        counters = dict((r[0], int(r[2])) for r in rows(
            self.admin, "SELECT Command, Total_Time_us, Total_cnt FROM stats_mysql_commands_counters"))
        self.assertEqual(counters["SELECT"], 7)
        self.assertEqual(counters["INSERT"], 1)
        self.assertEqual(counters["GENAI"], 3)
        self.assertEqual(counters["UNKNOWN"], 1)  # DO
        errors = as_text(rows(self.admin, "SELECT hostgroup, username, errno, count_star "
                                          "FROM stats_mysql_errors"))
        self.assertEqual(sorted(errors), [("0", "app", "1046", "1"), ("99", "genai", "9001", "1")])

        # Reading the _reset table empties both.
        self.assertGreater(len(rows(self.admin, "SELECT * FROM stats_mysql_query_digest_reset")), 0)
        self.assertEqual(as_text(rows(self.admin, "SELECT COUNT(*) FROM stats_mysql_query_digest")),
                         [("0",)])

    def test_executes_of_backend_statements_count_under_their_digest(self):
        rows(self.admin, "TRUNCATE TABLE stats_mysql_query_digest")
        with rawmysql.RawConnection(self.proxy.client_port) as raw:
            self.assertTrue(rawmysql.is_ok(raw.login("app", "secret")))
            raw.command(0x16, b"SELECT 5 + 1")  # COM_STMT_PREPARE
            ok = raw.read_packet()
            self.assertEqual(ok[0], 0x00, ok)
            statement_id, columns, params = struct.unpack("<IHH", ok[1:9])
            self.assertEqual(params, 0)
            for _ in range(columns + (1 if columns else 0)):
                raw.read_packet()  # column definitions and their EOF
            for _ in range(3):
                raw.command(0x17, struct.pack("<IBI", statement_id, 0, 1))  # COM_STMT_EXECUTE
                eofs = 0
                while eofs < 2:
                    packet = raw.read_packet()
                    self.assertNotEqual(packet[0], 0xFF, packet)
                    if packet[0] == 0xFE and len(packet) < 9:
                        eofs += 1
        deadline = time.time() + 5
        while True:  # the last execute lands once its answer is written
            found = as_text(rows(self.admin, "SELECT digest_text, count_star FROM stats_mysql_query_digest "
                                             "WHERE username = 'app'"))
            if found == [("SELECT ? + ?", "3")] or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(found, [("SELECT ? + ?", "3")])

    def test_executes_of_prepared_genai_statements_count_under_their_digest(self):
        rows(self.admin, "TRUNCATE TABLE stats_mysql_query_digest")
        with rawmysql.RawConnection(self.proxy.client_port) as raw:
            self.assertTrue(rawmysql.is_ok(raw.login("genai", "genai-pw")))
            raw.command(0x16, b'GENAI: {"type": "embed", "documents": ["alpha", "beta"]}')
            ok = raw.read_packet()
            self.assertEqual(ok[0], 0x00, ok)
            statement_id, columns, params = struct.unpack("<IHH", ok[1:9])
            for _ in range(columns + (1 if columns else 0)):
                raw.read_packet()
            for _ in range(2):
                raw.command(0x17, struct.pack("<IBI", statement_id, 0, 1))
                eofs = 0
                while eofs < 2:
                    packet = raw.read_packet()
                    self.assertNotEqual(packet[0], 0xFF, packet)
                    if packet[0] == 0xFE and len(packet) < 9:
                        eofs += 1
        expected = [("-1", 'GENAI: {"type": ?, "documents": [?, ?]}', "2", "4")]
        deadline = time.time() + 5
        while True:
            found = as_text(rows(self.admin, "SELECT hostgroup, digest_text, count_star, "
                                             "sum_rows_sent FROM stats_mysql_query_digest "
                                             "WHERE username = 'genai'"))
            if found == expected or time.time() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(found, expected)

    def test_processlist_users_and_transactions(self):
        app1 = self.proxy.client()
        app2 = self.proxy.client()
        try:
            rows(app1, "BEGIN")
            rows(app1, "SELECT 1")
            self.assertEqual(self.settled_counter("Active_Transactions", 1), 1)
            listed = as_text(rows(self.admin, "SELECT user, db, command, hostgroup FROM stats_mysql_processlist "
                                              "WHERE user = 'app'"))
            self.assertEqual(len(listed), 2)
            self.assertTrue(all(r[2] == "Sleep" and r[3] == "0" for r in listed), listed)
            shown = rows(self.admin, "SHOW PROCESSLIST")
            self.assertEqual(sum(1 for r in shown if r[1] == "app"), 2)
            full = rows(self.admin, "SHOW FULL PROCESSLIST")
            self.assertEqual(len(full), len(shown))
            users = as_text(rows(self.admin, "SELECT username, frontend_connections, frontend_max_connections "
                                             "FROM stats_mysql_users ORDER BY username"))
            self.assertIn(("app", "2", "10000"), users)
            self.assertIn(("genai", "0", "10000"), users)
            rows(app1, "COMMIT")
            self.assertEqual(self.settled_counter("Active_Transactions", 0), 0)
            self.assertEqual(self.settled_counter("Client_Connections_non_idle", 0), 0)
            self.assertGreaterEqual(self.global_counter("ProxySQL_Uptime"), 0)
            self.assertEqual(self.global_counter("Slow_queries"), 0)
        finally:
            app1.close()
            app2.close()

    def test_slow_queries(self):
        before = self.global_counter("Slow_queries")
        rows(self.admin, "SET mysql-long_query_time = 100")
        rows(self.admin, "LOAD MYSQL VARIABLES TO RUNTIME")
        try:
            app = self.proxy.client()
            rows(app, "SELECT SLEEP(0.3)")
            rows(app, "SELECT 1")
            app.close()
            self.assertEqual(self.settled_counter("Slow_queries", before + 1) - before, 1)
        finally:
            rows(self.admin, "SET mysql-long_query_time = 1000")
            rows(self.admin, "LOAD MYSQL VARIABLES TO RUNTIME")

    def test_pause_and_resume(self):
        open_session = self.proxy.client()
        rows(self.admin, "PROXYSQL PAUSE")
        try:
            with self.assertRaises(pymysql.err.OperationalError):
                self.proxy.client(connect_timeout=2)
            # Sessions already open go on.
            self.assertEqual(as_text(rows(open_session, "SELECT 1")), [("1",)])
        finally:
            rows(self.admin, "PROXYSQL RESUME")
        conn = self.proxy.client()
        self.assertEqual(as_text(rows(conn, "SELECT 2")), [("2",)])
        conn.close()
        open_session.close()

    def test_flush_logs_reopens_the_log_file(self):
        log = os.path.join(self.proxy.datadir, "genaiproxy.log")
        moved = log + ".1"
        os.rename(log, moved)
        rows(self.admin, "PROXYSQL FLUSH LOGS")
        rows(self.admin, "SET genai-max_documents = 10000")
        with open(log) as f:
            self.assertIn("SET genai-max_documents", f.read())
        os.remove(moved)

    def test_save_config_to_file(self):
        path = os.path.join(tempfile.mkdtemp(prefix="gp-savecfg-"), "saved.cnf")
        rows(self.admin, "SAVE CONFIG TO FILE %s" % path)
        with open(path) as f:
            text = f.read()
        for section in ("admin_variables", "mysql_variables", "genai_variables", "mysql_users",
                        "mysql_servers", "genai_models"):
            self.assertIn(section, text)
        self.assertIn('username = "genai"', text)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        # The file is a configuration genaiproxy starts from.
        other = harness.Proxy(users=[])
        text = text.replace(self.proxy.datadir, other.datadir)
        text = text.replace("127.0.0.1:%d" % self.proxy.admin_port, "127.0.0.1:%d" % other.admin_port)
        text = text.replace("127.0.0.1:%d" % self.proxy.client_port, "127.0.0.1:%d" % other.client_port)
        with open(other.config_path, "w") as f:
            f.write(text)
        try:
            other.start()
            conn = other.admin()
            self.assertEqual(sorted(r[0] for r in rows(conn, "SELECT username FROM mysql_users")),
                             ["app", "genai"])
            conn.close()
        finally:
            other.cleanup()

    def test_truncate_of_a_table_that_cannot_be_reset(self):
        with self.assertRaises(pymysql.err.MySQLError) as ctx:
            rows(self.admin, "TRUNCATE TABLE stats_mysql_global")
        self.assertIn("not supported", ctx.exception.args[1])


if __name__ == "__main__":
    unittest.main()
