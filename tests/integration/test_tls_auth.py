"""TLS on the client and admin interfaces, and every authentication path: AuthSwitchRequest,
caching_sha2_password (fast, full over TLS, full with the RSA key), users stored as a
mysql_native_password hash logging in to the backend, use_ssl users, PROXYSQL RELOAD TLS."""
import hashlib
import os
import shutil
import ssl
import struct
import subprocess
import tempfile
import threading
import unittest

import MySQLdb
import pymysql

import rawmysql
from harness import Proxy, query
from mariadb import MariaDB


def native_hash(password):
    return "*" + hashlib.sha1(hashlib.sha1(password.encode()).digest()).hexdigest().upper()


USERS = [
    {"username": "app", "password": "secret", "default_hostgroup": 0},
    {"username": "hashed", "password": native_hash("hashed-pw"), "default_hostgroup": 0},
    {"username": "tlsonly", "password": "tls-pw", "use_ssl": 1, "default_hostgroup": 0},
    {"username": "edtwo", "password": "ed-pw", "default_hostgroup": 0},
]


class TlsAuthTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB().start()
        cls.db.create_user("hashed", "hashed-pw")
        cls.db.create_user("tlsonly", "tls-pw")
        cls.db.execute("INSTALL SONAME 'auth_ed25519'")
        cls.db.execute("CREATE USER IF NOT EXISTS 'edtwo'@'%' IDENTIFIED VIA ed25519 "
                       "USING PASSWORD('ed-pw')")
        cls.proxy = Proxy(users=USERS, servers=[cls.db.server()]).start()
        cls.ca = os.path.join(cls.proxy.datadir, "proxysql-ca.pem")

    @classmethod
    def tearDownClass(cls):
        cls.proxy.cleanup()
        cls.db.cleanup()

    def tls_count(self):
        rows = query(self.proxy.admin(), "SELECT Variable_Value FROM stats_mysql_global "
                                         "WHERE Variable_Name = 'Client_Connections_tls'")
        return int(rows[0][0])

    def cli(self, user, password, sql="SELECT CURRENT_USER()", extra=(), port=None):
        cmd = ["mariadb", "-h127.0.0.1", f"-P{port or self.proxy.client_port}", f"-u{user}",
               f"-p{password}", "--batch", "--skip-column-names", "-e", sql] + list(extra)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)

    # Certificates ---------------------------------------------------------------------------
    def test_certificates_are_generated_in_the_datadir(self):
        for name in ("proxysql-ca.pem", "proxysql-cert.pem", "proxysql-key.pem", "private_key.pem"):
            self.assertTrue(os.path.exists(os.path.join(self.proxy.datadir, name)), name)
        self.assertEqual(os.stat(os.path.join(self.proxy.datadir, "proxysql-key.pem")).st_mode & 0o077, 0)

    # PyMySQL --------------------------------------------------------------------------------
    def test_pymysql_with_and_without_tls(self):
        plain = self.proxy.client()
        self.assertEqual(query(plain, "SELECT CURRENT_USER()"), (("app@%",),))
        self.assertFalse(isinstance(plain._sock, ssl.SSLSocket))
        tls = self.proxy.client(ssl_ca=self.ca, ssl_verify_cert=True, ssl_verify_identity=True,
                                database="gp_test")
        self.assertIn(tls._sock.version(), ("TLSv1.2", "TLSv1.3"))
        self.assertEqual(query(tls, "SELECT CURRENT_USER()"), (("app@%",),))
        # Large results travel through TLS intact.
        rows = query(tls, "SELECT REPEAT('x', 100000), 42 FROM seq_1_to_50")
        self.assertEqual(len(rows), 50)
        self.assertEqual(rows[49], ("x" * 100000, 42))

    def test_admin_interface_offers_tls(self):
        admin = self.proxy.admin(ssl_ca=self.ca, ssl_verify_cert=True)
        self.assertIn(admin._sock.version(), ("TLSv1.2", "TLSv1.3"))
        self.assertEqual(query(admin, "SELECT variable_value FROM global_variables "
                                      "WHERE variable_name = 'admin-have_ssl'"), (("true",),))

    # mysqlclient (libmariadb) ---------------------------------------------------------------
    def test_mysqlclient_with_and_without_tls(self):
        before = self.tls_count()
        plain = MySQLdb.connect(host="127.0.0.1", port=self.proxy.client_port, user="app",
                                passwd="secret")
        cur = plain.cursor()
        cur.execute("SELECT CURRENT_USER()")
        self.assertEqual(cur.fetchall(), (("app@%",),))
        plain.close()
        tls = MySQLdb.connect(host="127.0.0.1", port=self.proxy.client_port, user="app",
                              passwd="secret", ssl={"ca": self.ca})
        cur = tls.cursor()
        cur.execute("SELECT CURRENT_USER()")
        self.assertEqual(cur.fetchall(), (("app@%",),))
        tls.close()
        self.assertGreaterEqual(self.tls_count(), before + 1)

    # mariadb CLI ----------------------------------------------------------------------------
    def test_cli_with_and_without_tls(self):
        plain = self.cli("app", "secret", "status", ["--skip-ssl"])
        self.assertEqual(plain.returncode, 0, plain.stderr)
        self.assertRegex(plain.stdout, r"SSL:\s+Not in use")
        tls = self.cli("app", "secret", "status", ["--ssl", f"--ssl-ca={self.ca}",
                                                   "--ssl-verify-server-cert"])
        self.assertEqual(tls.returncode, 0, tls.stderr)
        self.assertRegex(tls.stdout, r"SSL:\s+Cipher in use is")

    def test_cli_refuses_a_proxy_certificate_its_ca_did_not_sign(self):
        other = os.path.join(self.proxy.datadir, "unrelated-ca.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                        "-subj", "/CN=unrelated", "-keyout", other + ".key", "-out", other],
                       check=True, capture_output=True)
        r = self.cli("app", "secret", "SELECT 1", ["--ssl", f"--ssl-ca={other}",
                                                   "--ssl-verify-server-cert"])
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, r"(?i)certificate|verif")

    # use_ssl --------------------------------------------------------------------------------
    def test_use_ssl_user_needs_tls(self):
        with self.assertRaises(pymysql.err.OperationalError) as ctx:
            self.proxy.client(user="tlsonly", password="tls-pw")
        self.assertEqual(ctx.exception.args[0], 1045)
        conn = self.proxy.client(user="tlsonly", password="tls-pw", ssl_ca=self.ca)
        self.assertEqual(query(conn, "SELECT CURRENT_USER()"), (("tlsonly@%",),))
        r = self.cli("tlsonly", "tls-pw", extra=["--skip-ssl"])
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("1045", r.stderr)

    # Authentication paths -------------------------------------------------------------------
    def test_caching_sha2_client_gets_an_auth_switch(self):
        # libmariadb clients choosing caching_sha2_password answer the greeting with nothing.
        for extra in (["--skip-ssl"], ["--ssl", f"--ssl-ca={self.ca}"]):
            r = self.cli("app", "secret", extra=extra + ["--default-auth=caching_sha2_password"])
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout.strip(), "app@%")
            bad = self.cli("app", "wrong", extra=extra + ["--default-auth=caching_sha2_password"])
            self.assertNotEqual(bad.returncode, 0)
            self.assertIn("1045", bad.stderr)

    def test_hashed_user_logs_in_to_the_backend_with_native_scramble(self):
        conn = self.proxy.client(user="hashed", password="hashed-pw")
        self.assertEqual(query(conn, "SELECT CURRENT_USER()"), (("hashed@%",),))
        conn.close()
        with self.assertRaises(pymysql.err.OperationalError) as ctx:
            self.proxy.client(user="hashed", password="wrong")
        self.assertEqual(ctx.exception.args[0], 1045)

    def test_hashed_user_caching_sha2_full_auth_over_tls(self):
        extra = ["--ssl", f"--ssl-ca={self.ca}", "--default-auth=caching_sha2_password"]
        r = self.cli("hashed", "hashed-pw", extra=extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "hashed@%")
        bad = self.cli("hashed", "wrong", extra=extra)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("1045", bad.stderr)

    def test_hashed_user_caching_sha2_full_auth_with_rsa_key(self):
        extra = ["--skip-ssl", "--default-auth=caching_sha2_password"]
        r = self.cli("hashed", "hashed-pw", extra=extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.strip(), "hashed@%")
        bad = self.cli("hashed", "wrong", extra=extra)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("1045", bad.stderr)

    def test_unknown_client_plugin_is_switched_to_native(self):
        with rawmysql.RawConnection(self.proxy.client_port) as raw:
            greeting = raw.read_greeting()
            raw.send_packet(rawmysql.handshake_response(b"app", b"whatever",
                                                        plugin=b"no_such_plugin"), seq=1)
            switch = raw.read_packet()
            self.assertEqual(switch[0], 0xFE)
            plugin, _, data = switch[1:].partition(b"\0")
            self.assertEqual(plugin, b"mysql_native_password")
            self.assertEqual(data.rstrip(b"\0"), greeting.nonce)
            raw.send_packet(rawmysql.native_scramble("secret", greeting.nonce), seq=3)
            self.assertTrue(rawmysql.is_ok(raw.read_packet()))

    def test_backend_asking_for_an_unknown_plugin_is_a_clear_error(self):
        conn = self.proxy.client(user="edtwo", password="ed-pw")
        with self.assertRaises(pymysql.err.MySQLError) as ctx:
            query(conn, "SELECT 1")
        self.assertIn("client_ed25519", str(ctx.exception))
        self.assertIn("does not support", str(ctx.exception))

    def test_wrong_passwords_are_1045_on_every_path(self):
        for kw in ({}, {"ssl_ca": self.ca}):
            for user in ("app", "hashed", "tlsonly", "nobody"):
                with self.subTest(user=user, tls=bool(kw)):
                    with self.assertRaises(pymysql.err.OperationalError) as ctx:
                        self.proxy.client(user=user, password="wrong", **kw)
                    self.assertEqual(ctx.exception.args[0], 1045)

    # Reload ---------------------------------------------------------------------------------
    def test_reload_tls_keeps_sessions_and_serves_new_certificates(self):
        old_ca = os.path.join(self.proxy.datadir, "old-ca.pem")
        shutil.copy(self.ca, old_ca)
        kept = self.proxy.client(ssl_ca=old_ca, ssl_verify_cert=True)
        for name in ("proxysql-ca.pem", "proxysql-cert.pem", "proxysql-key.pem"):
            os.rename(os.path.join(self.proxy.datadir, name),
                      os.path.join(self.proxy.datadir, name + ".before"))
        try:
            query(self.proxy.admin(), "PROXYSQL RELOAD TLS")
            self.assertEqual(query(kept, "SELECT 1"), ((1,),))
            with self.assertRaises(pymysql.err.OperationalError):
                self.proxy.client(ssl_ca=old_ca, ssl_verify_cert=True)
            fresh = self.proxy.client(ssl_ca=self.ca, ssl_verify_cert=True)
            self.assertEqual(query(fresh, "SELECT 1"), ((1,),))
            # A key that does not match the certificate is refused; the current pair stays.
            shutil.copy(os.path.join(self.proxy.datadir, "proxysql-key.pem.before"),
                        os.path.join(self.proxy.datadir, "proxysql-key.pem"))
            with self.assertRaises(pymysql.err.MySQLError) as ctx:
                query(self.proxy.admin(), "PROXYSQL RELOAD TLS")
            self.assertIn("does not match", str(ctx.exception))
            self.assertIn("proxysql-key.pem", str(ctx.exception))
            again = self.proxy.client(ssl_ca=self.ca, ssl_verify_cert=True)
            self.assertEqual(query(again, "SELECT 1"), ((1,),))
        finally:
            for name in ("proxysql-ca.pem", "proxysql-cert.pem", "proxysql-key.pem"):
                os.replace(os.path.join(self.proxy.datadir, name + ".before"),
                           os.path.join(self.proxy.datadir, name))
            query(self.proxy.admin(), "PROXYSQL RELOAD TLS")
        self.assertEqual(query(kept, "SELECT 1"), ((1,),))


    def test_certificate_files_named_by_variables(self):
        certs = tempfile.mkdtemp(prefix="gp-site-")
        site_ca, site_cert, site_key = make_ca_and_cert(certs, "site")
        _, stranger_cert, stranger_key = make_ca_and_cert(certs, "stranger")
        client_cert, client_key = sign_with(certs, "client", site_ca)
        admin = self.proxy.admin()

        def set_files(cert, key, ca=""):
            for name, value in (("mysql-ssl_cert", cert), ("mysql-ssl_key", key),
                                ("mysql-ssl_ca", ca)):
                query(admin, f"SET {name} = '{value}'")
            query(admin, "LOAD MYSQL VARIABLES TO RUNTIME")
            query(admin, "PROXYSQL RELOAD TLS")

        try:
            set_files(site_cert, site_key)
            conn = self.proxy.client(ssl_ca=site_ca, ssl_verify_cert=True)
            self.assertEqual(query(conn, "SELECT 1"), ((1,),))
            with self.assertRaises(pymysql.err.OperationalError):
                self.proxy.client(ssl_ca=self.ca, ssl_verify_cert=True)
            # A client CA: certificates clients present are verified, none is required.
            set_files(site_cert, site_key, site_ca)
            signed = self.proxy.client(ssl_ca=site_ca, ssl_cert=client_cert, ssl_key=client_key)
            self.assertEqual(query(signed, "SELECT 1"), ((1,),))
            anonymous = self.proxy.client(ssl_ca=site_ca)
            self.assertEqual(query(anonymous, "SELECT 1"), ((1,),))
            with self.assertRaises(pymysql.err.OperationalError):
                self.proxy.client(ssl_ca=site_ca, ssl_cert=stranger_cert, ssl_key=stranger_key)
            # A certificate without its key is refused, and the current files stay.
            query(admin, f"SET mysql-ssl_key = ''")
            query(admin, "LOAD MYSQL VARIABLES TO RUNTIME")
            with self.assertRaises(pymysql.err.MySQLError) as ctx:
                query(admin, "PROXYSQL RELOAD TLS")
            self.assertIn("mysql-ssl_cert and mysql-ssl_key", str(ctx.exception))
            again = self.proxy.client(ssl_ca=site_ca, ssl_verify_cert=True)
            self.assertEqual(query(again, "SELECT 1"), ((1,),))
        finally:
            set_files("", "")
            shutil.rmtree(certs, ignore_errors=True)
        conn = self.proxy.client(ssl_ca=self.ca, ssl_verify_cert=True)
        self.assertEqual(query(conn, "SELECT 1"), ((1,),))


def sign_with(directory, name, ca):
    """A client key and certificate signed by `ca` (made by make_ca_and_cert)."""
    ca_key = ca[:-len(".pem")] + ".key"
    key, csr = os.path.join(directory, name + ".key"), os.path.join(directory, name + ".csr")
    cert = os.path.join(directory, name + ".pem")
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", key, "-out", csr)
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
        "-out", cert)
    return cert, key


def make_ca_and_cert(directory, name):
    """A CA and a server certificate it signed (openssl CLI), as a site would have."""
    ca_key, ca = os.path.join(directory, name + "-ca.key"), os.path.join(directory, name + "-ca.pem")
    key, csr = os.path.join(directory, name + ".key"), os.path.join(directory, name + ".csr")
    cert = os.path.join(directory, name + ".pem")
    run = lambda *a: subprocess.run(["openssl", *a], check=True, capture_output=True)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", f"/CN={name} CA",
        "-keyout", ca_key, "-out", ca)
    run("req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={name}", "-keyout", key, "-out", csr)
    run("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial", "-days", "2",
        "-out", cert)
    return ca, cert, key


class BackendTlsTest(unittest.TestCase):
    """A MariaDB that accepts only TLS (require_secure_transport), behind use_ssl rows."""

    @classmethod
    def setUpClass(cls):
        cls.certs = tempfile.mkdtemp(prefix="gp-certs-")
        ca, cert, key = make_ca_and_cert(cls.certs, "backend")
        cls.ca = ca
        cls.other_ca, _, _ = make_ca_and_cert(cls.certs, "unrelated")
        cls.db = MariaDB(extra_args=[f"--ssl-ca={ca}", f"--ssl-cert={cert}", f"--ssl-key={key}",
                                     "--require-secure-transport=ON"]).start()
        for user, password in (("app2", "secret2"), ("app3", "secret3"), ("hashed", "hashed-pw"),
                               ("plain", "secret")):
            cls.db.create_user(user, password)
        users = [{"username": "app", "password": "secret", "default_hostgroup": 0},
                 {"username": "app2", "password": "secret2", "default_hostgroup": 0},
                 {"username": "app3", "password": "secret3", "default_hostgroup": 0},
                 {"username": "hashed", "password": native_hash("hashed-pw"), "default_hostgroup": 0},
                 {"username": "plain", "password": "secret", "default_hostgroup": 1}]
        cls.proxy = Proxy(users=users, mysql={"ssl_p2s_ca": ca},
                          servers=[cls.db.server(hostgroup=0, use_ssl=1),
                                   cls.db.server(hostgroup=1, use_ssl=0)]).start()

    @classmethod
    def tearDownClass(cls):
        cls.proxy.cleanup()
        cls.db.cleanup()
        shutil.rmtree(cls.certs, ignore_errors=True)

    def test_use_ssl_server_row_connects_with_tls(self):
        conn = self.proxy.client(database="gp_test")
        rows = query(conn, "SHOW SESSION STATUS LIKE 'Ssl_version'")
        self.assertIn(rows[0][1], ("TLSv1.2", "TLSv1.3"))
        self.assertEqual(query(conn, "SELECT CURRENT_USER()"), (("app@%",),))
        # Results of every size cross both TLS hops.
        rows = query(conn, "SELECT REPEAT('y', 70000), seq FROM seq_1_to_200")
        self.assertEqual(len(rows), 200)
        self.assertEqual(rows[199], ("y" * 70000, 200))
        tls_conn = self.proxy.client(ssl_ca=os.path.join(self.proxy.datadir, "proxysql-ca.pem"))
        self.assertEqual(query(tls_conn, "SELECT 7"), ((7,),))
        stats = query(self.proxy.admin(), "SELECT hostgroup, ConnOK, ConnTLS "
                                          "FROM stats_mysql_connection_pool ORDER BY hostgroup")
        self.assertGreater(int(stats[0][2]), 0)
        self.assertEqual(stats[0][1], stats[0][2])

    def test_tls_connections_are_reused_by_many_clients(self):
        # Twelve clients over two network threads: one thread holds at least six TLS
        # connections at once, more than the four a loop keeps of plain ones.
        clients = [self.proxy.client(user="app2", password="secret2") for _ in range(12)]

        def tls_opened():
            return int(query(self.proxy.admin(), "SELECT ConnTLS FROM stats_mysql_connection_pool "
                                                 "WHERE hostgroup = 0")[0][0])

        def round_of_statements():
            barrier = threading.Barrier(len(clients))

            def run(c):
                barrier.wait()
                query(c, "SELECT SLEEP(0.3)")
            threads = [threading.Thread(target=run, args=(c,)) for c in clients]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        round_of_statements()
        opened = tls_opened()
        round_of_statements()
        self.assertEqual(tls_opened(), opened)

    def test_hashed_user_over_backend_tls(self):
        conn = self.proxy.client(user="hashed", password="hashed-pw")
        self.assertEqual(query(conn, "SELECT CURRENT_USER()"), (("hashed@%",),))

    def test_plain_row_to_a_tls_only_server_is_refused_by_the_server(self):
        # MariaDB answers a login without TLS under require_secure_transport with 1045.
        conn = self.proxy.client(user="plain", password="secret")
        with self.assertRaises(pymysql.err.MySQLError) as ctx:
            query(conn, "SELECT 1")
        self.assertEqual(ctx.exception.args[0], 1045)
        self.assertIn(f"backend 127.0.0.1:{self.db.port}", str(ctx.exception))
        # The same user and password over a use_ssl row gets in.
        self.assertEqual(query(self.proxy.client(user="app2", password="secret2"),
                               "SELECT CURRENT_USER()"), (("app2@%",),))

    def test_wrong_ca_fails_verification_clearly(self):
        admin = self.proxy.admin()
        query(admin, f"SET mysql-ssl_p2s_ca = '{self.other_ca}'")
        query(admin, "LOAD MYSQL VARIABLES TO RUNTIME")
        try:
            # A user with no pooled connection yet: a new handshake.
            conn = self.proxy.client(user="app3", password="secret3")
            with self.assertRaises(pymysql.err.MySQLError) as ctx:
                query(conn, "SELECT 1")
            self.assertIn("certificate verification failed", str(ctx.exception))
            self.assertIn(self.other_ca, str(ctx.exception))
            self.assertIn("certificate verification failed", self.proxy.logs())
        finally:
            query(admin, f"SET mysql-ssl_p2s_ca = '{self.ca}'")
            query(admin, "LOAD MYSQL VARIABLES TO RUNTIME")
        conn = self.proxy.client(user="app3", password="secret3")
        self.assertEqual(query(conn, "SELECT CURRENT_USER()"), (("app3@%",),))


class TlsOffTest(unittest.TestCase):
    def test_ssl_request_is_refused_clearly_when_tls_is_off(self):
        with Proxy(mysql={"have_ssl": False}) as proxy, \
                rawmysql.RawConnection(proxy.client_port) as raw:
            greeting = raw.read_greeting()
            self.assertFalse(greeting.capabilities & 0x0800)
            caps = 0x0800 | 0x0200 | 0x8000  # SSL, PROTOCOL_41, SECURE_CONNECTION
            raw.send_packet(struct.pack("<IIB23x", caps, 1 << 24, 45), seq=1)
            answer = raw.read_packet()
            self.assertEqual(answer[0], 0xFF)
            self.assertIn(b"TLS is not available", answer)


if __name__ == "__main__":
    unittest.main()
