"""The client interface: authentication, commands, local answers, shutdown. Statement -> rows/error
behaviour without a backend is in tests/sql/client_without_backend.test."""
import os
import signal
import socket
import struct
import subprocess
import tempfile
import time
import unittest

import pymysql

import harness


class FrontendTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proxy = harness.Proxy(users=[
            {"username": "app", "password": "secret", "default_hostgroup": 0},
            {"username": "hashed", "password": "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7",
             "default_hostgroup": 0},  # mysql_native_password hash of "secret"
            {"username": "off", "password": "x", "active": 0},
        ]).start()

    @classmethod
    def tearDownClass(cls):
        cls.proxy.cleanup()

    def test_login_with_plain_and_hashed_passwords(self):
        for user in ("app", "hashed"):
            conn = self.proxy.client(user=user, password="secret")
            self.assertEqual(harness.query(conn, "select @@version_comment limit 1"), (("genaiproxy",),))
            conn.close()

    def test_wrong_password_unknown_and_inactive_users_are_denied(self):
        for user, password in (("app", "wrong"), ("nobody", "secret"), ("off", "x"), ("app", "")):
            with self.assertRaises(pymysql.err.OperationalError) as ctx:
                self.proxy.client(user=user, password=password)
            self.assertEqual(ctx.exception.args[0], 1045, (user, ctx.exception))
            self.assertIn("Access denied for user '%s'" % user, ctx.exception.args[1])

    def test_sqlstate_of_access_denied_is_28000(self):
        r = self.proxy.cli("select 1", port=self.proxy.client_port, user="app", password="bad")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ERROR 1045 (28000)", r.stderr)

    def test_mariadb_cli_runs_genai_with_lexical_provider(self):
        r = self.proxy.cli('GENAI: {"type":"rerank","query":"red apple","documents":["the sky is blue","a red apple"]}',
                           port=self.proxy.client_port, user="app", password="secret")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.strip().splitlines()
        self.assertEqual(lines[0].split("\t"), ["index", "score", "document"])
        self.assertEqual(lines[1].split("\t")[0], "1")
        self.assertEqual(lines[1].split("\t")[2], "a red apple")

    def test_ping_and_init_db_without_backend(self):
        # Statements without a backend are in tests/sql/client_without_backend.test; these are
        # protocol commands.
        conn = self.proxy.client()
        conn.ping(reconnect=False)
        conn.select_db("somedb")
        conn.ping(reconnect=False)
        conn.close()

    def test_unknown_command_gets_an_error(self):
        conn = self.proxy.client()
        conn._execute_command(0x1d, b"")  # COM_DAEMON: never valid from a client
        with self.assertRaises(pymysql.err.OperationalError) as ctx:
            conn._read_ok_packet()
        self.assertEqual(ctx.exception.args[0], 1047)
        conn.ping(reconnect=False)
        conn.close()

    def test_garbage_before_handshake_response_closes_cleanly(self):
        with socket.create_connection(("127.0.0.1", self.proxy.client_port), timeout=5) as s:
            s.recv(4096)
            s.sendall(b"\x05\x00\x00\x01hello")
            data = s.recv(4096)
            self.assertTrue(data == b"" or data[4] == 0xFF)
        conn = self.proxy.client()  # the proxy is still fine
        conn.close()


class MaxConnectionsTest(unittest.TestCase):
    def test_clients_beyond_the_limit_get_error_1040(self):
        with harness.Proxy(mysql={"max_connections": 2}) as proxy:
            # The harness's own port probes count until the proxy sees them close.
            with proxy.admin() as admin:
                deadline = time.time() + 5
                while int(dict(harness.query(admin, "SELECT * FROM stats_mysql_global"))
                          ["Client_Connections_connected"]) > 0:
                    self.assertLess(time.time(), deadline)
                    time.sleep(0.05)
            first, second = proxy.client(), proxy.client()
            with self.assertRaises(pymysql.err.OperationalError) as ctx:
                proxy.client()
            self.assertEqual(ctx.exception.args[0], 1040)
            self.assertIn("Too many connections", ctx.exception.args[1])
            first.close()
            # A freed place is available again.
            deadline = time.time() + 5
            while True:
                try:
                    third = proxy.client()
                    break
                except pymysql.err.OperationalError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.05)
            with proxy.admin() as admin:
                rows = dict(harness.query(admin, "SELECT * FROM stats_mysql_global"))
            self.assertGreaterEqual(int(rows["Client_Connections_refused"]), 1)
            third.close()
            second.close()


class LoginTimeoutTest(unittest.TestCase):
    def test_silent_client_is_closed_after_connect_timeout_client(self):
        with harness.Proxy(mysql={"connect_timeout_client": 300}) as proxy:
            for port in (proxy.client_port, proxy.admin_port):
                with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
                    s.recv(4096)  # the greeting; then say nothing
                    started = time.time()
                    self.assertEqual(s.recv(4096), b"")  # closed by the proxy
                    self.assertLess(time.time() - started, 3)
            proxy.client().close()  # a client that logs in promptly is unaffected

    def test_oversized_packet_before_login_is_refused(self):
        with harness.Proxy() as proxy:
            with socket.create_connection(("127.0.0.1", proxy.client_port), timeout=5) as s:
                s.recv(4096)
                s.sendall(b"\x00\x00\x10\x01" + b"x" * 1024)  # announces 1 MiB
                answer = s.recv(4096)
                self.assertTrue(answer == b"" or answer[4] == 0xFF, answer)


class LifecycleTest(unittest.TestCase):
    def test_sigterm_exits_cleanly(self):
        proxy = harness.Proxy().start()
        try:
            conn = proxy.client()
            self.assertEqual(proxy.stop(signal.SIGTERM), 0)
            conn.close()
        finally:
            proxy.cleanup()

    def test_sigint_exits_cleanly(self):
        proxy = harness.Proxy().start()
        try:
            self.assertEqual(proxy.stop(signal.SIGINT), 0)
        finally:
            proxy.cleanup()

    def test_version_and_help(self):
        r = subprocess.run([harness.BINARY, "--version"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("genaiproxy", r.stdout)
        r = subprocess.run([harness.BINARY, "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("--initial", r.stdout)

    def test_missing_config_argument_fails(self):
        r = subprocess.run([harness.BINARY], capture_output=True, text=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("--config", r.stdout + r.stderr)

    def test_bad_config_names_file_and_line(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "bad.cnf")
            with open(path, "w") as f:
                f.write('datadir="%s"\n\ngenai_variables =\n{\n  threads = \n}\n' % d)
            r = subprocess.run([harness.BINARY, "--config", path], capture_output=True, text=True, timeout=10)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("bad.cnf", r.stderr)
            self.assertIn("line", r.stderr)

    def test_port_in_use_is_reported(self):
        with socket.socket() as busy:
            busy.bind(("127.0.0.1", 0))
            busy.listen()
            port = busy.getsockname()[1]
            proxy = harness.Proxy(mysql={"interfaces": "127.0.0.1:%d" % port})
            try:
                args = [harness.BINARY, "--config", proxy.config_path, "--datadir", proxy.datadir]
                r = subprocess.run(args, capture_output=True, text=True, timeout=20)
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("cannot listen on 127.0.0.1:%d" % port, r.stderr)
            finally:
                proxy.cleanup()


if __name__ == "__main__":
    unittest.main()
