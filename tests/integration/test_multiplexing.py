"""Backend multiplexing (issue 12): client sessions share pooled backend
connections, each keeping its own tracked settings, prepared statements and,
while it needs one, its own connection.

Every expectation about a setting is taken from a direct MariaDB connection
that ran the same statements, so the proxy is held to what the server does.
"""
import concurrent.futures
import random
import struct
import threading
import time
import unittest

import pymysql
from pymysql.constants import COMMAND

from harness import Proxy, query
from mariadb import MariaDB

READBACK = ("SELECT @@sql_mode, @@time_zone, @@character_set_client, @@character_set_connection, "
            "@@character_set_results, @@collation_connection, @@autocommit")

# Each client's settings, as its driver or application would make them.
PROFILES = {
    "ansi_latin1": ["SET NAMES latin1", "SET sql_mode = 'ANSI'", "SET time_zone = '+01:00'"],
    "traditional_utf8mb4": ["SET NAMES utf8mb4 COLLATE utf8mb4_unicode_ci",
                            "SET SESSION sql_mode = 'TRADITIONAL'", "SET @@time_zone = '-05:00'",
                            "SET autocommit = 0"],
    "character_set": ["SET CHARACTER SET latin1", "SET time_zone = '+05:30'",
                      "SET sql_mode = ''"],
    # Connector/J's own statement after it connects (with the server's
    # sql_mode it started from made distinct first).
    "connector_j": ["SET sql_mode = 'NO_ENGINE_SUBSTITUTION'",
                    "set autocommit=1, sql_mode = concat(@@sql_mode,',STRICT_TRANS_TABLES')"],
    "defaults": [],
}


def global_stats(proxy):
    admin = proxy.admin()
    try:
        return {k: int(v) if str(v).lstrip("-").isdigit() else v
                for k, v in query(admin, "SELECT Variable_Name, Variable_Value FROM stats_mysql_global")}
    finally:
        admin.close()


def ok_fields(conn):
    """What the client learned from the OK of its last statement."""
    r = conn._result
    return (r.affected_rows, r.warning_count, conn.server_status)


def run(conn, sql):
    """Runs `sql`; returns its OK's fields or ('error', code, message)."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
        return ok_fields(conn)
    except pymysql.err.MySQLError as e:
        return ("error",) + tuple(e.args)


class Prepared:
    """Server-side prepared statements over PyMySQL's connection: text or NULL
    parameters (sent as strings), results read as strings."""

    def __init__(self, conn, sql):
        self.conn = conn
        conn._execute_command(COMMAND.COM_STMT_PREPARE, sql)
        first = conn._read_packet()
        first.advance(1)
        self.id, self.columns, self.params = first.read_struct("<IHH")
        for count in (self.params, self.columns):
            for _ in range(count):
                conn._read_packet()
            if count:
                conn._read_packet()  # EOF: PyMySQL does not ask for CLIENT_DEPRECATE_EOF

    def send_long_data(self, param, data):
        # No answer comes back.
        self.conn._execute_command(COMMAND.COM_STMT_SEND_LONG_DATA,
                                   struct.pack("<IH", self.id, param) + data)

    def execute(self, *params, long_data=()):
        """Executes with `params` (str or None); parameters in `long_data`
        were sent with send_long_data() and are only typed here."""
        body = struct.pack("<IBI", self.id, 0, 1)
        if self.params:
            nulls = bytearray((self.params + 7) // 8)
            for i, v in enumerate(params):
                if v is None and i not in long_data:
                    nulls[i // 8] |= 1 << (i % 8)
            body += bytes(nulls) + b"\x01"
            body += b"".join(bytes([pymysql.constants.FIELD_TYPE.BLOB if i in long_data
                                    else pymysql.constants.FIELD_TYPE.NULL if v is None
                                    else pymysql.constants.FIELD_TYPE.VAR_STRING, 0])
                             for i, v in enumerate(params))
            for i, v in enumerate(params):
                if v is None or i in long_data:
                    continue
                data = v.encode()
                assert len(data) < 251
                body += bytes([len(data)]) + data
        self.conn._execute_command(COMMAND.COM_STMT_EXECUTE, body)
        first = self.conn._read_packet()
        if first.is_ok_packet():
            return []
        count = first.read_length_encoded_integer()
        for _ in range(count):
            self.conn._read_packet()
        self.conn._read_packet()  # EOF
        rows = []
        while True:
            packet = self.conn._read_packet()
            if packet.is_eof_packet():
                return rows
            packet.advance(1)
            nulls = packet.read((count + 9) // 8)
            rows.append(tuple(None if nulls[(i + 2) // 8] & (1 << ((i + 2) % 8))
                              else packet.read_length_coded_string().decode()
                              for i in range(count)))

    def close(self):
        self.conn._execute_command(COMMAND.COM_STMT_CLOSE, struct.pack("<I", self.id))


class MultiplexingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()
        cls.db.execute("CREATE TABLE gp_test.points (id INT PRIMARY KEY, v INT) ENGINE=InnoDB")
        cls.db.execute("INSERT INTO gp_test.points SELECT seq, seq * 7 FROM gp_test.seq_1_to_1000")
        cls.db.execute("CREATE TABLE gp_test.writes (id INT PRIMARY KEY AUTO_INCREMENT, who VARCHAR(32)) "
                       "ENGINE=InnoDB")

    @classmethod
    def tearDownClass(cls):
        cls.db.cleanup()

    def proxy(self, max_connections, threads=2, **mysql):
        mysql["threads"] = threads
        p = Proxy(mysql=mysql, servers=[self.db.server(max_connections=max_connections)]).start()
        self.addCleanup(p.cleanup)
        return p

    def direct(self, **kw):
        kw.setdefault("autocommit", True)
        # Another user than the proxy's, so that the proxy's connections are
        # the only ones of `app` in the process list.
        conn = pymysql.connect(host="127.0.0.1", port=self.db.port, user="other",
                               password="other-pw", database="gp_test", **kw)
        self.addCleanup(conn.close)
        return conn

    def client(self, proxy, **kw):
        kw.setdefault("autocommit", True)
        kw.setdefault("database", "gp_test")
        return pymysql.connect(host="127.0.0.1", port=proxy.client_port, user="app",
                               password="secret", **kw)

    def backend_threads(self, user="app"):
        return [r[0] for r in self.db.execute(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = %s", (user,))]

    def server_side_connections(self):
        """The proxy's connections as the server counts them."""
        return len(self.backend_threads())

    # Tracked settings ---------------------------------------------------------
    def test_settings_interleave_on_one_backend_connection(self):
        # One network thread: the pool's one connection is reachable by every
        # client (test_idle_connection_reachable_from_every_network_thread
        # covers two).
        proxy = self.proxy(max_connections=1, threads=1)
        clients, expected = {}, {}
        for name, statements in PROFILES.items():
            mine, theirs = self.client(proxy), self.direct()
            clients[name] = mine
            for sql in statements:
                self.assertEqual(run(mine, sql), run(theirs, sql), f"{name}: the OK of {sql!r}")
            expected[name] = query(theirs, READBACK)
        self.assertEqual(len(set(expected.values())), len(expected), "profiles must differ")
        names = list(clients)
        rng = random.Random(12)
        for round_ in range(60):
            rng.shuffle(names)
            for name in names:
                self.assertEqual(query(clients[name], READBACK), expected[name],
                                 f"{name} in round {round_}")
        # Concurrently too: every client in its own thread, over the one connection.
        failures = []

        def hammer(name):
            try:
                for i in range(80):
                    got = query(clients[name], READBACK)
                    if got != expected[name]:
                        failures.append((name, i, got))
                        return
            except Exception as e:  # noqa: BLE001 - reported below
                failures.append((name, repr(e)))

        workers = [threading.Thread(target=hammer, args=(n,)) for n in names]
        for w in workers:
            w.start()
        for w in workers:
            w.join(120)
        self.assertEqual(failures, [])
        stats = global_stats(proxy)
        self.assertEqual(stats["Server_Connections_connected"], 1)
        self.assertEqual(stats["Client_sessions_pinned"], 0)
        self.assertGreater(stats["Backend_session_state_applies"], 60)
        self.assertEqual(stats["Server_Connections_created"], 1)

    def test_character_sets_convert_as_the_client_set_them(self):
        proxy = self.proxy(max_connections=1, threads=1)
        # The same bytes (PyMySQL sends utf8mb4) read under each session's
        # own character set: any mix-up shows in the hex.
        sql = ("SELECT HEX(CAST('\u00e9' AS BINARY)) AS a, HEX(CONVERT('\u00e9' USING utf8mb4)) AS b, "
               "CHARSET('x') AS c, @@character_set_results AS d, @@collation_connection AS e")
        clients, want = {}, {}
        for names in ("SET NAMES latin1", "SET NAMES utf8mb4", "SET CHARACTER SET utf8mb4",
                      "SET NAMES binary", "SET character_set_results = latin1"):
            mine, theirs = self.client(proxy), self.direct()
            self.assertEqual(run(mine, names), run(theirs, names), names)
            clients[names], want[names] = mine, query(theirs, sql)
        self.assertEqual(len(set(want.values())), len(want), want)
        for i in range(30):
            for names, conn in clients.items():
                self.assertEqual(query(conn, sql), want[names], f"{names}, round {i}")
        for conn in clients.values():
            conn.close()

    def test_clients_of_different_handshake_character_sets_share_a_full_pool(self):
        # A latin1 handshake and a utf8mb4 one; the pool's one connection was
        # made for the first and is idle when the second asks.
        proxy = self.proxy(max_connections=1, threads=1)
        latin1 = self.client(proxy, charset="latin1", read_timeout=10)
        utf8 = self.client(proxy, charset="utf8mb4", read_timeout=10)
        for i in range(3):
            self.assertEqual(query(latin1, "SELECT @@character_set_client"), (("latin1",),))
            self.assertEqual(query(utf8, "SELECT @@character_set_client"), (("utf8mb4",),))
        latin1.close()
        utf8.close()

    def test_a_bad_value_is_the_servers_error_and_changes_nothing(self):
        proxy = self.proxy(max_connections=1, threads=1)
        mine, theirs = self.client(proxy), self.direct()
        other = self.client(proxy)
        for sql in ("SET sql_mode = 'ANSI'", "SET time_zone = '+02:00'"):
            self.assertEqual(run(mine, sql), run(theirs, sql))
        before = query(theirs, READBACK)
        for sql in ("SET sql_mode = 'NO_SUCH_MODE'",
                    "SET time_zone = '+02:00', sql_mode = 'NO_SUCH_MODE'",
                    "SET sql_mode = 'TRADITIONAL', time_zone = 'No/Such_Zone'",
                    "SET autocommit = 2",
                    "SET sql_mode = concat(@@sql_mode, ',NO_SUCH_MODE')"):
            got, want = run(mine, sql), run(theirs, sql)
            self.assertEqual(got, want, sql)
            self.assertEqual(got[0], "error", sql)
            query(other, "SELECT 1")  # the connection serves someone else in between
            self.assertEqual(query(mine, READBACK), before, f"after {sql!r}")
        self.assertEqual(query(theirs, READBACK), before)
        self.assertEqual(run(mine, "SET sql_mode = 'ANSI', time_zone = '+03:00'"),
                         run(theirs, "SET sql_mode = 'ANSI', time_zone = '+03:00'"))
        query(other, "SELECT 1")
        self.assertEqual(query(mine, READBACK), query(theirs, READBACK))
        self.assertEqual(query(mine, "SELECT 'usable'"), (("usable",),))

    def test_idle_connection_reachable_from_every_network_thread(self):
        # Two network threads, a pool of one: clients accepted by either
        # thread must get the one connection once nobody uses it. Which
        # thread accepts a client is not up to the test: eight clients make
        # it all but certain that both threads get some.
        proxy = self.proxy(max_connections=1, threads=2)
        for i in range(8):
            c = self.client(proxy, autocommit=False, connect_timeout=10, read_timeout=10)
            self.assertEqual(query(c, "SELECT v FROM points WHERE id = %s", (i + 1,)),
                             ((7 * (i + 1),),), f"client {i}")
            c.commit()
            c.close()

    # Many sessions, few connections --------------------------------------------
    def test_thousand_default_pymysql_sessions_share_a_few_dozen_connections(self):
        sessions, workers, rounds = 1000, 48, 3
        proxy = self.proxy(max_connections=200)
        baseline = self.server_side_connections()
        peak = [baseline, 0]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], self.server_side_connections())
                peak[1] = max(peak[1], global_stats(proxy)["Server_Connections_connected"])
                time.sleep(0.05)

        sampler = threading.Thread(target=sample)
        sampler.start()
        started = time.time()
        try:
            with concurrent.futures.ThreadPoolExecutor(workers) as pool:
                # PyMySQL's defaults: autocommit off, sent as SET AUTOCOMMIT = 0.
                conns = list(pool.map(lambda _: pymysql.connect(
                    host="127.0.0.1", port=proxy.client_port, user="app", password="secret",
                    database="gp_test", connect_timeout=30, read_timeout=30), range(sessions)))
                self.assertEqual(global_stats(proxy)["Client_Connections_connected"], sessions)

                def work(i):
                    conn = conns[i % sessions]
                    key = 1 + (i * 37) % 1000
                    with conn.cursor() as cur:
                        cur.execute("SELECT v FROM points WHERE id = %s", (key,))
                        got = cur.fetchall()
                    # An autocommit-off read opens a transaction (the server
                    # says IN_TRANS): the request ends it, as applications do.
                    conn.commit()
                    return got == ((key * 7,),)

                results = list(pool.map(work, range(sessions * rounds)))
                for c in conns:
                    c.close()
        finally:
            stop.set()
            sampler.join()
        elapsed = time.time() - started
        self.assertTrue(all(results), f"{results.count(False)} wrong answers")
        stats = global_stats(proxy)
        held = peak[0] - baseline
        print(f"\n{sessions} sessions, {workers} workers: {elapsed:.1f} s, peak backend connections "
              f"{held} (server) {peak[1]} (proxy), created {stats['Server_Connections_created']}, "
              f"state applies {stats['Backend_session_state_applies']}")
        # A few dozen: about one per worker, plus the idle connections each
        # network thread keeps for itself (and, on the server's side, a few
        # the proxy has just closed).
        self.assertLessEqual(peak[1], 64)
        self.assertLessEqual(held, 64,
                             f"{held} backend connections for {sessions} sessions")
        self.assertEqual(stats["Client_sessions_pinned"], 0)
        self.assertLess(elapsed, 90)

    def test_prepared_statements_over_ten_connections(self):
        sessions, workers = 200, 24
        proxy = self.proxy(max_connections=10)
        conns = [self.client(proxy, connect_timeout=30, read_timeout=30) for _ in range(sessions)]
        statements = {}

        def work(s, round_):
            stmt = statements.get(s)
            if stmt is None:
                stmt = Prepared(conns[s], "SELECT CONCAT('', v), ? FROM points WHERE id = ?")
                statements[s] = stmt
            key = 1 + (s * 13 + round_ * 101) % 1000
            return stmt.execute(f"s{s}", str(key)) == [(str(key * 7), f"s{s}")]

        # A session belongs to one worker: PyMySQL connections are not shared.
        def worker(w):
            ok = peak = 0
            for round_ in range(5):
                for s in range(w, sessions, workers):
                    ok += work(s, round_)
                peak = max(peak, global_stats(proxy)["Server_Connections_connected"])
            return ok, peak

        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            outcomes = list(pool.map(worker, range(workers)))
        self.assertEqual(sum(o[0] for o in outcomes), sessions * 5)
        self.assertLessEqual(max(o[1] for o in outcomes), 10)
        stats = global_stats(proxy)
        print(f"\n{sessions} sessions with prepared statements: reprepares "
              f"{stats['Backend_statement_reprepares']}, connections created "
              f"{stats['Server_Connections_created']}")
        # 200 sessions' statements ran on 10 connections: each connection serves sessions that
        # prepared elsewhere, from its own cache (shared by sessions with the same text, schema
        # and settings) or by preparing again; either way nothing pins.
        self.assertEqual(stats["Client_sessions_pinned"], 0)
        self.assertLessEqual(stats["Server_Connections_connected"], 10)
        self.assertLessEqual(stats["Server_Connections_created"], 20)
        # Closed statements are gone for their session only.
        statements[0].close()
        self.assertEqual(statements[1].execute("x", "3"), [("21", "x")])
        for c in conns:
            c.close()

    def test_prepared_statement_keeps_the_sql_mode_it_was_prepared_under(self):
        # The same text means an identifier under ANSI_QUOTES and a string
        # otherwise; both sessions' statements live on the pool's one connection.
        proxy = self.proxy(max_connections=1, threads=1)
        ansi, plain = self.client(proxy), self.client(proxy)
        query(ansi, "SET sql_mode = 'ANSI_QUOTES'")
        text = 'SELECT CONCAT(\'\', "v") FROM points WHERE id = 3'
        as_identifier = Prepared(ansi, text)
        self.assertEqual(as_identifier.execute(), [("21",)])
        as_string = Prepared(plain, text)
        self.assertEqual(as_string.execute(), [("v",)])
        for i in range(3):
            self.assertEqual(as_identifier.execute(), [("21",)], f"ANSI_QUOTES session, round {i}")
            self.assertEqual(as_string.execute(), [("v",)], f"default session, round {i}")

    def test_prepared_statement_keeps_the_schema_it_was_prepared_in(self):
        self.db.execute("CREATE DATABASE IF NOT EXISTS gp_mux_other")
        self.db.execute("CREATE TABLE IF NOT EXISTS gp_mux_other.points (id INT PRIMARY KEY, v INT)")
        self.db.execute("REPLACE INTO gp_mux_other.points VALUES (3, -1)")
        proxy = self.proxy(max_connections=2, threads=1)
        other = self.client(proxy, database="gp_mux_other")
        mine = self.client(proxy)
        text = "SELECT CONCAT('', v) FROM points WHERE id = 3"
        theirs = Prepared(other, text)  # on a first connection, in gp_mux_other
        self.assertEqual(theirs.execute(), [("-1",)])
        ours = Prepared(mine, text)  # on a second one, in gp_test
        self.assertEqual(ours.execute(), [("21",)])
        # The second connection moves to gp_mux_other with its client, and is
        # the one the pool hands out next.
        query(mine, "USE gp_mux_other")
        self.assertEqual(theirs.execute(), [("-1",)])
        self.assertEqual(ours.execute(), [("21",)])  # prepared in gp_test: still gp_test's table

    def test_clients_of_different_schemas_share_a_full_pool(self):
        self.db.execute("CREATE DATABASE IF NOT EXISTS gp_mux_other")
        proxy = self.proxy(max_connections=1, threads=1)
        first = self.client(proxy, read_timeout=10)
        second = self.client(proxy, database="gp_mux_other", read_timeout=10)
        for i in range(3):
            self.assertEqual(query(first, "SELECT DATABASE()"), (("gp_test",),), f"round {i}")
            self.assertEqual(query(second, "SELECT DATABASE()"), (("gp_mux_other",),), f"round {i}")
        first.close()
        second.close()

    def test_last_insert_id_after_an_insert(self):
        proxy = self.proxy(max_connections=2, threads=1)
        c = self.client(proxy)
        stop, errors = threading.Event(), []
        others = self.contention(proxy, stop, errors)
        try:
            for i in range(5):
                query(c, "INSERT INTO writes (who) VALUES ('lid')")
                want = query(self.direct(), "SELECT MAX(id) FROM writes WHERE who = 'lid'")[0][0]
                self.assertEqual(query(c, "SELECT LAST_INSERT_ID()"), ((want,),), f"round {i}")
        finally:
            stop.set()
            for o in others:
                o.join(30)
        self.assertEqual(errors, [])

    def test_a_busy_pool_keeps_its_connections(self):
        # Sessions busier than the pool is large: connections go from one to
        # the next, and none should need closing and opening again.
        sessions, workers = 40, 8
        proxy = self.proxy(max_connections=10, threads=1)
        conns = [self.client(proxy) for _ in range(sessions)]

        def worker(w):
            for round_ in range(10):
                for s in range(w, sessions, workers):
                    query(conns[s], "SELECT v FROM points WHERE id = %s", (s + 1,))

        with concurrent.futures.ThreadPoolExecutor(workers) as pool:
            list(pool.map(worker, range(workers)))
        created = global_stats(proxy)["Server_Connections_created"]
        self.assertLessEqual(created, 12, f"{created} backend connections opened for a pool of 10")
        for c in conns:
            c.close()

    # What still holds a connection ---------------------------------------------
    def contention(self, proxy, stop, errors):
        """Other sessions using the pool until `stop` is set."""
        def loop():
            try:
                c = self.client(proxy, connect_timeout=10, read_timeout=10)
                while not stop.is_set():
                    query(c, "SELECT v FROM points WHERE id = 5")
                c.close()
            except Exception as e:  # noqa: BLE001 - reported by the test
                errors.append(repr(e))
        threads = [threading.Thread(target=loop) for _ in range(4)]
        for t in threads:
            t.start()
        return threads

    def test_a_transaction_is_never_split(self):
        proxy = self.proxy(max_connections=3, threads=1)
        stop, errors = threading.Event(), []
        others = self.contention(proxy, stop, errors)
        try:
            c = self.client(proxy)
            observer = self.direct()
            for round_ in range(10):
                query(c, "BEGIN")
                ids = {query(c, "SELECT CONNECTION_ID()")[0][0]}
                for _ in range(5):
                    query(c, "SELECT v FROM points WHERE id = 9")
                    ids.add(query(c, "SELECT CONNECTION_ID()")[0][0])
                    time.sleep(0.002)
                query(c, "INSERT INTO writes (who) VALUES ('begin')")
                ids.add(query(c, "SELECT CONNECTION_ID()")[0][0])
                query(c, "COMMIT")
                self.assertEqual(len(ids), 1, f"round {round_}: one transaction on {ids}")
            # autocommit off and a write: the connection is the session's until COMMIT.
            t = self.client(proxy, autocommit=False)
            query(t, "DELETE FROM writes WHERE who = 'ac0'")
            t.commit()
            for round_ in range(5):
                query(t, "INSERT INTO writes (who) VALUES ('ac0')")
                ids = set()
                for _ in range(5):
                    ids.add(query(t, "SELECT CONNECTION_ID()")[0][0])
                    self.assertEqual(query(t, "SELECT COUNT(*) FROM writes WHERE who = 'ac0'"),
                                     ((round_ + 1,),))
                    time.sleep(0.002)
                self.assertEqual(query(observer, "SELECT COUNT(*) FROM writes WHERE who = 'ac0'"),
                                 ((round_,),), "uncommitted row seen from outside")
                self.assertEqual(len(ids), 1, f"autocommit=0, round {round_}: {ids}")
                t.commit()
            t.rollback()
            self.assertEqual(query(observer, "SELECT COUNT(*) FROM writes WHERE who = 'ac0'"), ((5,),))
        finally:
            stop.set()
            for o in others:
                o.join(30)
        self.assertEqual(errors, [])

    def test_autocommit_off_read_keeps_its_snapshot_until_commit(self):
        # MariaDB reports SERVER_STATUS_IN_TRANS after an InnoDB read with
        # autocommit off: the read view is open, so the connection stays.
        proxy = self.proxy(max_connections=2, threads=1)
        reader = self.client(proxy, autocommit=False)
        writer = self.direct()
        query(writer, "REPLACE INTO points VALUES (5000, 1)")
        self.addCleanup(self.db.execute, "DELETE FROM gp_test.points WHERE id = 5000")
        self.assertEqual(query(reader, "SELECT v FROM points WHERE id = 5000"), ((1,),))
        first_id = query(reader, "SELECT CONNECTION_ID()")[0][0]
        query(writer, "UPDATE points SET v = 2 WHERE id = 5000")
        self.assertEqual(query(reader, "SELECT CONNECTION_ID()"), ((first_id,),))
        self.assertEqual(query(reader, "SELECT v FROM points WHERE id = 5000"), ((1,),),
                         "the second read of the transaction saw another snapshot")
        self.assertEqual(global_stats(proxy)["ConnPool_connections_in_use"], 1)
        reader.commit()
        self.assertEqual(query(reader, "SELECT v FROM points WHERE id = 5000"), ((2,),))
        reader.commit()
        self.assertEqual(global_stats(proxy)["ConnPool_connections_in_use"], 0)
        reader.close()

    def test_session_objects_still_pin(self):
        proxy = self.proxy(max_connections=4, threads=1)
        stop, errors = threading.Event(), []
        others = self.contention(proxy, stop, errors)
        try:
            var = self.client(proxy)
            query(var, "SET @mine = 'var-session'")
            tmp = self.client(proxy)
            query(tmp, "CREATE TEMPORARY TABLE scratch (a INT)")
            query(tmp, "INSERT INTO scratch VALUES (41)")
            lock = self.client(proxy)
            self.assertEqual(query(lock, "SELECT GET_LOCK('gp-mux-lock', 5)"), ((1,),))
            lock_id = query(lock, "SELECT CONNECTION_ID()")[0][0]
            for i in range(30):
                self.assertEqual(query(var, "SELECT @mine"), (("var-session",),), f"round {i}")
                self.assertEqual(query(tmp, "SELECT a FROM scratch"), ((41,),), f"round {i}")
                self.assertEqual(query(lock, "SELECT IS_USED_LOCK('gp-mux-lock') = CONNECTION_ID(), "
                                             "CONNECTION_ID()"), ((1, lock_id),), f"round {i}")
                time.sleep(0.005)
            self.assertGreaterEqual(global_stats(proxy)["Client_sessions_pinned"], 3)
            for c in (var, tmp, lock):
                c.close()
        finally:
            stop.set()
            for o in others:
                o.join(30)
        self.assertEqual(errors, [])

    # Connections lost while idle -----------------------------------------------
    def test_connection_killed_while_idle_is_invisible(self):
        proxy = self.proxy(max_connections=1, threads=1)
        c = self.client(proxy)
        mine = self.direct()
        for sql in ("SET sql_mode = 'ANSI'", "SET time_zone = '+04:00'", "SET NAMES latin1"):
            run(c, sql)
            run(mine, sql)
        want = query(mine, READBACK)
        for round_ in range(5):
            backend_id = query(c, "SELECT CONNECTION_ID()")[0][0]
            self.assertEqual(self.backend_threads(), [backend_id])
            self.db.execute(f"KILL {backend_id}")
            deadline = time.time() + 10
            while self.backend_threads() and time.time() < deadline:
                time.sleep(0.02)
            self.assertEqual(query(c, READBACK), want, f"round {round_}")
            self.assertNotEqual(query(c, "SELECT CONNECTION_ID()")[0][0], backend_id)
        c.close()

    def test_pooled_connections_killed_while_idle_are_invisible(self):
        # More idle connections than a network thread keeps to itself, so
        # that the shared pool holds some too.
        proxy = self.proxy(max_connections=20, free_connections_pct=100)
        clients = [self.client(proxy) for _ in range(12)]
        for i, c in enumerate(clients):
            query(c, f"SET time_zone = '+0{i % 10}:00'")
            query(c, "BEGIN")
            query(c, "SELECT v FROM points WHERE id = 1")
        for c in clients:
            query(c, "COMMIT")
        victims = self.backend_threads()
        self.assertGreaterEqual(len(victims), 12)
        for t in victims:
            self.db.execute(f"KILL {t}")
        deadline = time.time() + 10
        while self.backend_threads() and time.time() < deadline:
            time.sleep(0.02)
        for i, c in enumerate(clients):
            self.assertEqual(query(c, "SELECT @@time_zone, v FROM points WHERE id = 2"),
                             ((f"+0{i % 10}:00", 14),), f"client {i}")
        for c in clients:
            c.close()

    # Long data -------------------------------------------------------------------
    def test_long_data_then_execute_on_another_connection(self):
        proxy = self.proxy(max_connections=2, threads=1)
        c = self.client(proxy)
        stmt = Prepared(c, "SELECT CONCAT('', LENGTH(?)), MD5(?), ?")
        prepared_on = self.backend_threads()
        self.assertEqual(len(prepared_on), 1)
        # Another session takes the connection the statement was prepared on.
        holder = self.client(proxy)
        query(holder, "BEGIN")
        self.assertEqual(query(holder, "SELECT CONNECTION_ID()"), ((prepared_on[0],),))
        reprepares = global_stats(proxy)["Backend_statement_reprepares"]
        chunks = [bytes([65 + i]) * 70000 for i in range(3)]
        for chunk in chunks:
            stmt.send_long_data(0, chunk)
        stmt.send_long_data(1, b"md5 me")
        rows = stmt.execute(None, None, "plain", long_data=(0, 1))
        import hashlib
        self.assertEqual(rows, [(str(sum(map(len, chunks))), hashlib.md5(b"md5 me").hexdigest(),
                                 "plain")])
        self.assertEqual(global_stats(proxy)["Backend_statement_reprepares"], reprepares + 1)
        self.assertEqual(len(self.backend_threads()), 2)
        # The long data went with that execute: the next one binds afresh.
        self.assertEqual(stmt.execute("abc", "x", "y"),
                         [("3", hashlib.md5(b"x").hexdigest(), "y")])
        query(holder, "COMMIT")
        stmt.send_long_data(0, b"again")
        self.assertEqual(stmt.execute(None, "", "z", long_data=(0,)),
                         [("5", hashlib.md5(b"").hexdigest(), "z")])
        holder.close()
        c.close()


if __name__ == "__main__":
    unittest.main()
