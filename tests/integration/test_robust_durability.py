"""What SAVE ... TO DISK acknowledged survives kill -9; nothing leaves a corrupt database."""
import os
import random
import signal
import sqlite3
import subprocess
import threading
import time
import unittest

import pymysql

import harness

KILLED = -signal.SIGKILL


def integrity(datadir):
    """PRAGMA integrity_check of <datadir>/genaiproxy.db (also replays a hot journal)."""
    conn = sqlite3.connect(os.path.join(datadir, "genaiproxy.db"), timeout=10)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall()
    finally:
        conn.close()


def variables(admin, table="global_variables"):
    return dict(harness.query(admin, f"SELECT variable_name, variable_value FROM {table}"))


def usernames(admin, table="mysql_users"):
    return {row[0] for row in harness.query(admin, f"SELECT username FROM {table}")}


class SavedValuesSurviveKillTest(unittest.TestCase):
    def test_saved_values_survive_and_unsaved_do_not(self):
        proxy = harness.Proxy()
        try:
            proxy.start()
            with proxy.admin() as admin:
                for sql in ("SET genai-max_documents = 777",
                            "SET genai-embedding_timeout_ms = 1234",
                            "SET genai-embedding_model = 'model-saved'",
                            "SAVE GENAI VARIABLES TO DISK",
                            "SET mysql-max_connections = 4321",
                            "SAVE MYSQL VARIABLES TO DISK",
                            "INSERT INTO mysql_users (username, password, default_hostgroup) "
                            "VALUES ('durable', 'pw-durable', 0)",
                            "SAVE MYSQL USERS TO DISK",
                            # After the saves: changes that were never saved.
                            "SET genai-max_documents = 555",
                            "SET genai-rerank_model = 'model-unsaved'",
                            "LOAD GENAI VARIABLES TO RUNTIME",
                            "INSERT INTO mysql_users (username, password, default_hostgroup) "
                            "VALUES ('volatile', 'pw-volatile', 0)",
                            "LOAD MYSQL USERS TO RUNTIME"):
                    harness.query(admin, sql)
            proxy.client(user="volatile", password="pw-volatile").close()
            self.assertEqual(proxy.stop(signal.SIGKILL), KILLED)
            self.assertEqual(integrity(proxy.datadir), [("ok",)])

            proxy.start()
            with proxy.admin() as admin:
                for table in ("global_variables", "runtime_global_variables"):
                    values = variables(admin, table)
                    self.assertEqual(values["genai-max_documents"], "777", table)
                    self.assertEqual(values["genai-embedding_timeout_ms"], "1234", table)
                    self.assertEqual(values["genai-embedding_model"], "model-saved", table)
                    self.assertEqual(values["genai-rerank_model"], "", table)
                    self.assertEqual(values["mysql-max_connections"], "4321", table)
                for table in ("mysql_users", "runtime_mysql_users"):
                    names = usernames(admin, table)
                    self.assertIn("durable", names, table)
                    self.assertNotIn("volatile", names, table)
            proxy.client(user="durable", password="pw-durable").close()
            with self.assertRaises(pymysql.err.OperationalError) as ctx:
                proxy.client(user="volatile", password="pw-volatile")
            self.assertEqual(ctx.exception.args[0], 1045)
        finally:
            proxy.cleanup()


class KillDuringSavesTest(unittest.TestCase):
    CYCLES = 5

    def saver(self, proxy, state, stop):
        """Saves in a loop; state records the last values whose SAVE answered OK."""
        try:
            admin = proxy.admin(read_timeout=10)
        except pymysql.err.MySQLError:
            return
        n = state["next"]
        try:
            while not stop.is_set():
                n += 1
                state["sent"] = n
                harness.query(admin, f"SET genai-embedding_timeout_ms = {n}")
                harness.query(admin, "SAVE GENAI VARIABLES TO DISK")
                harness.query(admin, "INSERT INTO mysql_users (username, password) "
                                     f"VALUES ('u{n}', 'p{n}')")
                harness.query(admin, "SAVE MYSQL USERS TO DISK")
                state["acknowledged"] = n
                state["users"].add(f"u{n}")
        except (pymysql.err.MySQLError, OSError):
            pass  # the kill
        finally:
            state["next"] = n

    def test_kill_during_a_stream_of_saves(self):
        rng = random.Random(7)
        proxy = harness.Proxy()
        state = {"next": 1000, "sent": 0, "acknowledged": 0, "users": set()}
        saves = 0
        try:
            for cycle in range(self.CYCLES):
                proxy.start()
                with proxy.admin() as admin:
                    values = variables(admin)
                    names = usernames(admin)
                if state["acknowledged"]:
                    # Every acknowledged save is on disk; nothing newer than what was sent.
                    on_disk = int(values["genai-embedding_timeout_ms"])
                    self.assertGreaterEqual(on_disk, state["acknowledged"])
                    self.assertLessEqual(on_disk, state["sent"])
                    self.assertEqual(state["users"] - names, set())
                stop = threading.Event()
                before = state["next"]
                t = threading.Thread(target=self.saver, args=(proxy, state, stop))
                t.start()
                time.sleep(rng.uniform(0.3, 1.0))
                self.assertEqual(proxy.stop(signal.SIGKILL), KILLED, f"cycle {cycle}")
                stop.set()
                t.join(15)
                self.assertFalse(t.is_alive())
                saves += state["next"] - before
                self.assertEqual(integrity(proxy.datadir), [("ok",)], f"cycle {cycle}")
            self.assertGreater(state["acknowledged"], 1000)
            print(f"\n[robust] {self.CYCLES} kill -9 cycles during {saves} save rounds "
                  f"({len(state['users'])} acknowledged): database intact, every acknowledged "
                  "save present")
            proxy.start()
            with proxy.admin() as admin:
                self.assertGreaterEqual(int(variables(admin)["genai-embedding_timeout_ms"]),
                                        state["acknowledged"])
        finally:
            proxy.cleanup()

    def test_kill_during_first_start(self):
        # The first start builds the database from the file; a kill at any
        # moment of it must leave something the next start can use.
        proxy = harness.Proxy(genai={"max_documents": 4242})
        db_path = os.path.join(proxy.datadir, "genaiproxy.db")
        try:
            args = [harness.BINARY, "--config", proxy.config_path, "--datadir", proxy.datadir]
            for delay in (0.0, 0.005, 0.01, 0.02, 0.05, 0.1):
                if os.path.exists(db_path):
                    os.unlink(db_path)
                p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                time.sleep(delay)
                p.kill()
                p.wait()
                if os.path.exists(db_path):
                    self.assertEqual(integrity(proxy.datadir), [("ok",)], delay)
                proxy.start()
                with proxy.admin() as admin:
                    self.assertEqual(variables(admin)["genai-max_documents"], "4242", delay)
                self.assertEqual(proxy.stop(signal.SIGKILL), KILLED)
        finally:
            proxy.cleanup()


class DamagedDatabaseTest(unittest.TestCase):
    """A damaged genaiproxy.db: the proxy starts (rebuilding) or refuses clearly, never crashes."""

    def damage_cases(self, good):
        half = len(good) // 2
        yield "empty", b""
        yield "truncated", good[:half]
        yield "garbage header", os.urandom(100) + good[100:]
        yield "garbage pages", good[:4096] + os.urandom(len(good) - 4096)
        yield "not a database", b"this is not an SQLite file\n" * 200

    def test_damaged_database_file(self):
        proxy = harness.Proxy(genai={"max_documents": 4343})
        db_path = os.path.join(proxy.datadir, "genaiproxy.db")
        try:
            proxy.start()
            with proxy.admin() as admin:
                harness.query(admin, "SAVE GENAI VARIABLES TO DISK")
            proxy.stop()
            with open(db_path, "rb") as f:
                good = f.read()
            self.assertGreater(len(good), 8192)
            args = [harness.BINARY, "--config", proxy.config_path, "--datadir", proxy.datadir]
            outcomes = {}
            for name, data in self.damage_cases(good):
                with self.subTest(damage=name):
                    with open(db_path, "wb") as f:
                        f.write(data)
                    log_path = os.path.join(proxy.datadir, "damaged.log")
                    with open(log_path, "wb") as log:
                        p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
                    try:
                        harness.wait_port(proxy.client_port, timeout=20, proc=p)
                        outcomes[name] = "started"
                        admin = proxy.admin()
                        try:
                            value = variables(admin)["genai-max_documents"]
                        finally:
                            admin.close()
                        self.assertEqual(value, "4343")
                        p.terminate()
                        self.assertEqual(p.wait(15), 0)
                    except RuntimeError:  # exited before listening
                        self.assertGreater(p.returncode, 0, "killed by a signal")
                        with open(log_path, errors="replace") as f:
                            self.assertIn("genaiproxy.db", f.read())
                        outcomes[name] = f"refused (exit {p.returncode})"
                    finally:
                        if p.poll() is None:
                            p.kill()
                            p.wait()
            print(f"\n[robust] damaged databases: {outcomes}")
        finally:
            proxy.cleanup()


if __name__ == "__main__":
    unittest.main()
