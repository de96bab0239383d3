"""The driver suite: real client stacks against the real proxy and a real MariaDB.

One test per stack. Each runs that stack's program (tests/drivers/<stack>/),
which prints `ok <case>` or `FAIL <case>: <reason>` per case and exits 1 when a
case failed. The runner starts one MariaDB and one proxy per test class (one
per process: ctest runs each stack as its own test, in parallel), prepares
what a stack needs once (npm ci from the lock file, go build, javac), caches
it in the build directory, and fails -- never skips -- when a tool is missing.

    python3 -m unittest test_drivers                        # every stack
    python3 -m unittest test_drivers.DriverTest.test_go     # one stack
    python3 test_drivers.py serve                           # start MariaDB + proxy, print GP_* settings
"""
import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402
from mariadb import MariaDB  # noqa: E402

BUILD_DIR = os.path.join(os.environ.get("GP_BUILD_DIR") or os.path.join(
    tempfile.gettempdir(), f"gp-drivers-{os.geteuid()}"), "drivers")
NODE_DIR = os.path.join(HERE, "node")
CONNECTOR_J = "/usr/share/java/mariadb-java-client.jar"
GOPATH_DEBIAN = "/usr/share/gocode"
RUN_TIMEOUT = 120



class Missing(Exception):
    """A tool or package a stack needs is not installed."""


def need(tool):
    path = shutil.which(tool)
    if not path:
        raise Missing(f"`{tool}` is not installed (scripts/install-deps.sh installs it)")
    return path


def locked(name):
    """An exclusive lock file in the build directory: parallel tests prepare once."""
    os.makedirs(BUILD_DIR, exist_ok=True)
    f = open(os.path.join(BUILD_DIR, name + ".lock"), "w")
    fcntl.flock(f, fcntl.LOCK_EX)
    return f


def digest(*paths):
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def run_checked(args, what, timeout=300, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    if r.returncode != 0:
        raise AssertionError(f"{what} failed ({r.returncode}):\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return r


# Preparation steps (cached) ------------------------------------------------------------------
def prepare_node():
    """`npm ci` from the committed lock file, redone only when the lock file changes."""
    need("node")
    npm = need("npm")
    lock = os.path.join(NODE_DIR, "package-lock.json")
    stamp = os.path.join(NODE_DIR, "node_modules", ".gp-lock-digest")
    with locked("npm"):
        want = digest(lock)
        if os.path.exists(stamp) and open(stamp).read() == want:
            return
        run_checked([npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"], "npm ci",
                    cwd=NODE_DIR)
        with open(stamp, "w") as f:
            f.write(want)


def prepare_go():
    """Builds tests/drivers/go with Debian's go-sql-driver, offline (GOPATH mode)."""
    go = need("go")
    src = os.path.join(HERE, "go", "main.go")
    if not os.path.isdir(os.path.join(GOPATH_DEBIAN, "src", "github.com", "go-sql-driver", "mysql")):
        raise Missing("go-sql-driver is not installed (Debian golang-github-go-sql-driver-mysql-dev)")
    out = os.path.join(BUILD_DIR, "go", "drivers-go")
    stamp = out + ".digest"
    with locked("go"):
        want = digest(src)
        if os.path.exists(out) and os.path.exists(stamp) and open(stamp).read() == want:
            return out
        os.makedirs(os.path.dirname(out), exist_ok=True)
        env = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH_DEBIAN, GOFLAGS="",
                   GOPROXY="off", GOCACHE=os.path.join(BUILD_DIR, "go", "cache"))
        run_checked([go, "build", "-o", out, src], "go build", env=env)
        with open(stamp, "w") as f:
            f.write(want)
        return out


def prepare_java():
    """Compiles Drivers.java against Debian's Connector/J once (javac), cached by digest."""
    need("java")
    javac = need("javac")
    if not os.path.exists(CONNECTOR_J):
        raise Missing(f"{CONNECTOR_J} is missing (Debian libmariadb-java)")
    src = os.path.join(HERE, "connectorj", "Drivers.java")
    out = os.path.join(BUILD_DIR, "java")
    stamp = os.path.join(out, "Drivers.digest")
    with locked("java"):
        want = digest(src, CONNECTOR_J)
        if os.path.exists(stamp) and open(stamp).read() == want:
            return out
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        run_checked([javac, "-nowarn", "-cp", CONNECTOR_J, "-d", out, src], "javac")
        with open(stamp, "w") as f:
            f.write(want)
        return out


def python_module(name, package):
    r = subprocess.run([sys.executable, "-c", f"import {name}"], capture_output=True)
    if r.returncode != 0:
        raise Missing(f"Python module {name} is not importable by {sys.executable} (Debian {package})")


def php_extension(name):
    php = need("php")
    mods = subprocess.run([php, "-m"], capture_output=True, text=True).stdout.split()
    if name not in mods:
        raise Missing(f"PHP extension {name} is missing (Debian php-mysql)")
    return php


def ruby_gem():
    ruby = need("ruby")
    r = subprocess.run([ruby, "-e", "require 'mysql2'"], capture_output=True)
    if r.returncode != 0:
        raise Missing("Ruby gem mysql2 is missing (Debian ruby-mysql2)")
    return ruby


# Commands per stack: each returns (argv, extra environment) -----------------------------------
def cmd_connectorj():
    classes = prepare_java()
    return [need("java"), "-cp", f"{classes}:{CONNECTOR_J}", "Drivers"], {}


def cmd_mysql2():
    prepare_node()
    return [need("node"), os.path.join(NODE_DIR, "mysql2.js")], {}


def cmd_node_mariadb():
    prepare_node()
    return [need("node"), os.path.join(NODE_DIR, "mariadb.js")], {}


def cmd_go():
    return [prepare_go()], {}


def cmd_mysqli():
    return [php_extension("mysqli"), os.path.join(HERE, "php", "mysqli.php")], {}


def cmd_pdo_native():
    return [php_extension("pdo_mysql"), os.path.join(HERE, "php", "pdo.php")], {"GP_PDO_EMULATE": "0"}


def cmd_pdo_emulated():
    return [php_extension("pdo_mysql"), os.path.join(HERE, "php", "pdo.php")], {"GP_PDO_EMULATE": "1"}


def cmd_pymysql():
    python_module("pymysql", "python3-pymysql")
    return [sys.executable, os.path.join(HERE, "python", "pymysql_cases.py")], {}


def cmd_mysqlclient():
    python_module("MySQLdb", "python3-mysqldb")
    return [sys.executable, os.path.join(HERE, "python", "mysqlclient_cases.py")], {}


def cmd_ruby():
    return [ruby_gem(), os.path.join(HERE, "ruby", "drivers.rb")], {}


# The environment ----------------------------------------------------------------------------
class Environment:
    """One MariaDB and one proxy with the users and servers every stack program expects."""

    def __init__(self, tls=False):
        """With `tls`, the proxy's users require TLS (mysql_users.use_ssl = 1): a stack that
        connected without it would be refused, so every case then runs over TLS."""
        self.tls = tls
        self.db = MariaDB().start()
        try:
            self.proxy = harness.Proxy(
                genai={"embedding_uri": "lexical:", "rerank_uri": "lexical:"},
                users=[{"username": "app", "password": "secret", "default_hostgroup": 0,
                        "use_ssl": int(tls)},
                       {"username": "genai", "password": "genai-pw", "default_hostgroup": 99,
                        "use_ssl": int(tls)}],
                servers=[self.db.server(hostgroup=0)])
            self.proxy.start()
        except BaseException:
            self.db.cleanup()
            raise

    def settings(self):
        s = {"GP_HOST": "127.0.0.1", "GP_PORT": str(self.proxy.client_port),
             "GP_ADMIN_PORT": str(self.proxy.admin_port), "GP_DB_PORT": str(self.db.port)}
        if self.tls:
            s["GP_TLS_CA"] = os.path.join(self.proxy.datadir, "proxysql-ca.pem")
        return s

    def cleanup(self):
        try:
            self.proxy.cleanup()
        finally:
            self.db.cleanup()


class DriverTest(unittest.TestCase):
    maxDiff = None
    TLS = False

    @classmethod
    def setUpClass(cls):
        cls.env = Environment(tls=cls.TLS)

    @classmethod
    def tearDownClass(cls):
        cls.env.cleanup()

    def run_stack(self, name, command):
        try:
            argv, extra = command()
        except Missing as e:
            self.fail(f"{name}: cannot run: {e}")
        env = dict(os.environ)
        env.update(self.env.settings())
        env.update(extra)
        started = time.time()
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=RUN_TIMEOUT, env=env,
                               cwd=HERE)
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode("utf-8", "replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
            self.fail(f"{name}: program did not finish within {RUN_TIMEOUT}s; output so far:\n{out}")
        elapsed = time.time() - started
        print(f"\n--- {name} ({elapsed:.1f}s, exit {r.returncode}) ---\n{r.stdout}", end="")
        if r.stderr.strip():
            print(f"--- {name} stderr ---\n{r.stderr[-4000:]}")
        sys.stdout.flush()
        lines = r.stdout.splitlines()
        failed = [ln for ln in lines if ln.startswith("FAIL ")]
        passed = [ln for ln in lines if ln.startswith("ok ")]
        if failed:
            self.fail(f"{name}: {len(failed)} case(s) failed, {len(passed)} passed:\n" + "\n".join(failed))
        if r.returncode != 0:
            self.fail(f"{name}: exit status {r.returncode} with no FAIL line:\n{r.stderr[-3000:]}")
        if not passed:
            self.fail(f"{name}: the program reported no case")

    def test_connectorj(self):
        self.run_stack("connectorj", cmd_connectorj)

    def test_mysql2(self):
        self.run_stack("mysql2", cmd_mysql2)

    def test_node_mariadb(self):
        self.run_stack("node_mariadb", cmd_node_mariadb)

    def test_go(self):
        self.run_stack("go", cmd_go)

    def test_mysqli(self):
        self.run_stack("mysqli", cmd_mysqli)

    def test_pdo_native(self):
        self.run_stack("pdo_native", cmd_pdo_native)

    def test_pdo_emulated(self):
        self.run_stack("pdo_emulated", cmd_pdo_emulated)

    def test_pymysql(self):
        self.run_stack("pymysql", cmd_pymysql)

    def test_mysqlclient(self):
        self.run_stack("mysqlclient", cmd_mysqlclient)

    def test_ruby(self):
        self.run_stack("ruby", cmd_ruby)


class DriverTlsTest(DriverTest):
    """Every stack again, with TLS required by the proxy's users."""
    TLS = True


def serve():
    """Starts the environment and waits (until SIGTERM or Ctrl-C): for running one
    stack's program by hand."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    env = Environment()
    try:
        print(" ".join(f"{k}={v}" for k, v in env.settings().items()), flush=True)
        while True:
            time.sleep(3600)
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        env.cleanup()


if __name__ == "__main__":
    if sys.argv[1:] == ["serve"]:
        serve()
    else:
        unittest.main()
