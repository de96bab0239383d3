"""A private MariaDB server for tests: its own datadir, port and socket.

    with MariaDB() as db:
        db.execute("CREATE DATABASE shop")
        conn = db.connect("app", "secret")

As a command, for test programs that are not written in Python:
    mariadb.py start DIR [MARIADBD OPTIONS...]   -> prints the TCP port once the server answers
    mariadb.py stop DIR    -> stops that server and removes DIR
Users `app`/`secret` (mysql_native_password) and `other`/`other-pw` exist,
with all privileges, plus database `gp_test`.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pymysql

DEFAULT_USERS = [("app", "secret"), ("other", "other-pw")]


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MariaDB:
    def __init__(self, datadir=None, users=None, extra_args=None):
        self.owns_dir = datadir is None
        self.dir = datadir or tempfile.mkdtemp(prefix="gp-mariadb-")
        self.datadir = os.path.join(self.dir, "data")
        self.socket = os.path.join(self.dir, "mysqld.sock")
        self.pid_file = os.path.join(self.dir, "mysqld.pid")
        self.port_file = os.path.join(self.dir, "port")
        self.log_path = os.path.join(self.dir, "server.log")
        self.users = users if users is not None else DEFAULT_USERS
        self.extra_args = extra_args or []
        self.port = None
        self.proc = None

    # Lifecycle ---------------------------------------------------------------
    def start(self, timeout=60):
        os.makedirs(self.dir, exist_ok=True)
        if not os.path.isdir(os.path.join(self.datadir, "mysql")):
            shutil.copytree(_template_datadir(), self.datadir, symlinks=True)
        self.port = self.port or _free_port()  # a restart keeps its port
        # Its own tmpdir: temporary tables (multi-table UPDATEs, derived tables) live there, out
        # of reach of anything that cleans /tmp.
        tmpdir = os.path.join(self.dir, "tmp")
        os.makedirs(tmpdir, exist_ok=True)
        args = ["mariadbd", "--no-defaults", f"--datadir={self.datadir}", f"--port={self.port}",
                f"--tmpdir={tmpdir}",
                "--bind-address=127.0.0.1", f"--socket={self.socket}", f"--pid-file={self.pid_file}",
                "--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=128M",
                "--innodb-flush-log-at-trx-commit=2", "--max-connections=1000",
                "--max-allowed-packet=256M", f"--log-error={self.log_path}"]
        if os.geteuid() == 0:
            args.append("--user=root")
        self.proc = subprocess.Popen(args + self.extra_args, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.time() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("mariadbd exited early:\n" + self.server_log()[-3000:])
            try:
                self.execute("SELECT 1")
                break
            except pymysql.err.OperationalError:
                if time.time() > deadline:
                    raise TimeoutError("mariadbd did not answer within %ss" % timeout)
                time.sleep(0.05)
        with open(self.port_file, "w") as f:
            f.write(str(self.port))
        self.execute("CREATE DATABASE IF NOT EXISTS gp_test")
        for user, password in self.users:
            self.create_user(user, password)
        return self

    def create_user(self, user, password, plugin="mysql_native_password"):
        self.execute(f"CREATE USER IF NOT EXISTS '{user}'@'%' IDENTIFIED VIA {plugin} "
                     f"USING PASSWORD('{password}')")
        self.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{user}'@'%'")

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            self.proc = None

    def kill(self):
        """Ends the server abruptly (SIGKILL), as a crash would."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def cleanup(self):
        self.stop()
        if self.owns_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # Clients -------------------------------------------------------------------
    def root(self, **kw):
        return pymysql.connect(unix_socket=self.socket, user="root", autocommit=True, **kw)

    def connect(self, user="app", password="secret", **kw):
        return pymysql.connect(host="127.0.0.1", port=self.port, user=user, password=password,
                               autocommit=True, **kw)

    def execute(self, sql, args=None):
        conn = self.root()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, args)
                return cur.fetchall()
        finally:
            conn.close()

    def server_log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def server(self, hostgroup=0, **kw):
        """A mysql_servers row for harness.Proxy."""
        row = {"address": "127.0.0.1", "port": self.port, "hostgroup": hostgroup}
        row.update(kw)
        return row


def _template_datadir():
    """A freshly installed datadir, made once per machine and copied per server
    (mariadb-install-db takes seconds; a copy takes milliseconds)."""
    version = subprocess.run(["mariadbd", "--version"], capture_output=True, text=True).stdout
    tag = "".join(c if c.isalnum() else "_" for c in version.split(" for ")[0])[-60:]
    path = os.path.join(tempfile.gettempdir(), f"gp-mariadb-template-{os.geteuid()}-{tag}")
    if os.path.isdir(os.path.join(path, "mysql")):
        return path
    staging = tempfile.mkdtemp(prefix="gp-mariadb-staging-")
    subprocess.run(
        ["mariadb-install-db", "--no-defaults", f"--user={_user()}", f"--datadir={staging}",
         "--auth-root-authentication-method=normal", "--skip-test-db"],
        check=True, capture_output=True, timeout=300)
    try:
        os.rename(staging, path)  # atomic: a concurrent maker either wins or loses whole
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)
    return path


def _user():
    import pwd
    return pwd.getpwuid(os.geteuid()).pw_name


def _main(argv):
    if len(argv) < 3 or argv[1] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    directory = argv[2]
    if argv[1] == "start":
        db = MariaDB(datadir=directory, extra_args=argv[3:])  # further mariadbd options
        db.start()
        print(db.port, flush=True)
        return 0
    pid_file = os.path.join(directory, "mysqld.pid")
    try:
        with open(pid_file) as f:
            pid = int(f.read().strip())
        os.kill(pid, signal.SIGTERM)
        for _ in range(600):
            os.kill(pid, 0)
            time.sleep(0.05)
    except (OSError, ValueError):
        pass
    shutil.rmtree(directory, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(_main(sys.argv))
