"""Starts the real genaiproxy binary on free loopback ports for integration tests.

Every test module uses `Proxy` (one process, its own temp datadir and config)
and the client helpers below. Nothing here talks to anything but 127.0.0.1.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pymysql

BINARY = os.environ.get("GP_BINARY", os.path.join(os.path.dirname(__file__), "../../build/genaiproxy"))
SOURCE_DIR = os.environ.get("GP_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))


# Lines a sanitizer prints when it finds something. The proxy's own stderr
# goes to a per-test log, so the harness scans it: otherwise a report inside
# the proxy process would pass unnoticed under `make test SANITIZE=...`.
SANITIZER_MARKERS = (
    "ERROR: AddressSanitizer",
    "ERROR: LeakSanitizer",
    "WARNING: ThreadSanitizer",
    "runtime error:",
)


def sanitizer_reports(text, out_of_descriptors=False):
    """The lines of `text` that start a sanitizer report.

    With `out_of_descriptors`, UBSan's vptr reports that could not read the
    object are left out: UBSan probes memory through a pipe(), which fails
    when the process has no descriptor left, and it then calls any object's
    vptr invalid ("<memory cannot be printed>").
    """
    lines = text.splitlines()
    reports = []
    for i, line in enumerate(lines):
        if not any(m in line for m in SANITIZER_MARKERS):
            continue
        after = lines[i + 1:i + 3]
        if (out_of_descriptors and "does not point to an object of type" in line
                and len(after) == 2 and "invalid vptr" in after[0]
                and after[1] == "<memory cannot be printed>"):
            continue
        reports.append(line)
    return reports


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=20.0, proc=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before port {port} opened")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"port {port} did not open within {timeout}s")


def _cfg_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_config(datadir, admin_port, client_port, genai=None, mysql=None, admin=None,
                  users=None, servers=None):
    """Builds a libconfig (proxysql.cnf-style) document."""
    admin_vars = {"admin_credentials": "admin:admin", "mysql_ifaces": f"127.0.0.1:{admin_port}"}
    admin_vars.update(admin or {})
    mysql_vars = {"threads": 2, "interfaces": f"127.0.0.1:{client_port}"}
    mysql_vars.update(mysql or {})
    genai_vars = {"threads": 2, "embedding_uri": "lexical:", "rerank_uri": "lexical:"}
    genai_vars.update(genai or {})
    users = users if users is not None else [{"username": "app", "password": "secret", "default_hostgroup": 0}]
    lines = [f'datadir="{datadir}"', ""]
    for section, values in (("admin_variables", admin_vars), ("mysql_variables", mysql_vars),
                            ("genai_variables", genai_vars)):
        lines.append(section + " =\n{")
        lines += [f"    {k} = {_cfg_value(v)}" for k, v in values.items()]
        lines.append("}")
    for name, rows in (("mysql_users", users), ("mysql_servers", servers or [])):
        lines.append(f"{name} =\n(")
        lines.append(",\n".join("    { " + ", ".join(f"{k} = {_cfg_value(v)}" for k, v in r.items()) + " }"
                                for r in rows))
        lines.append(")")
    return "\n".join(lines) + "\n"


class Proxy:
    """One genaiproxy process. Use as a context manager or call start()/stop()."""

    def __init__(self, genai=None, mysql=None, admin=None, users=None, servers=None,
                 extra_args=None, datadir=None, env=None):
        self.owns_dir = datadir is None
        self.datadir = datadir or tempfile.mkdtemp(prefix="gp-test-")
        self.config_path = os.path.join(self.datadir, "genaiproxy.cnf")
        self.config_args = (genai, mysql, admin, users, servers)
        self.choose_ports()
        self.extra_args = extra_args or []
        self.env = env
        self.proc = None
        self.started_once = False
        self.out_of_descriptors = False  # set by tests that exhaust the fd limit
        self.log_path = os.path.join(self.datadir, "stderr.log")

    def start(self, extra_args=None):
        args = [BINARY, "--config", self.config_path, "--datadir", self.datadir]
        args += self.extra_args + (extra_args or [])
        env = dict(os.environ)
        env.update(self.env or {})
        for attempt in range(3):
            self.log = open(self.log_path, "ab")
            start_offset = self.log.tell()
            self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)
            try:
                wait_port(self.admin_port, proc=self.proc)
                wait_port(self.client_port, proc=self.proc)
                self.started_once = True
                return self
            except RuntimeError as e:
                self.stop()
                tail = self.logs()[start_offset:][-3000:]
                # A port picked by free_port() can be taken (by some client's
                # ephemeral port) before the proxy binds it: pick others.
                # On a first start the config file is all there is, so new
                # ports in it (and --initial, over what the failed start
                # saved) take effect; a restart keeps its saved ports.
                if "Address already in use" in tail and attempt < 2 and self.owns_dir and not self.started_once:
                    self.choose_ports()
                    if "--initial" not in args:
                        args.append("--initial")
                    continue
                raise RuntimeError("%s; proxy log:\n%s" % (e, tail)) from None
        return self

    def choose_ports(self):
        self.admin_port = free_port()
        self.client_port = free_port()
        with open(self.config_path, "w") as f:
            f.write(render_config(self.datadir, self.admin_port, self.client_port,
                                  *self.config_args))

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Stops the process; returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("genaiproxy did not stop within %ss" % timeout)
        code = self.proc.returncode
        self.proc = None
        self.log.close()
        reports = sanitizer_reports(self.logs(), self.out_of_descriptors)
        if reports:
            raise AssertionError("sanitizer report in %s:\n%s\n--- log tail ---\n%s"
                                 % (self.log_path, "\n".join(reports[:5]), self.logs()[-6000:]))
        return code

    def restart(self, extra_args=None):
        self.stop()
        self.admin_port, self.client_port = self.admin_port, self.client_port
        return self.start(extra_args)

    def logs(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def cleanup(self):
        if self.proc is not None:
            self.stop()
        if self.owns_dir:
            shutil.rmtree(self.datadir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.cleanup()

    # Clients -----------------------------------------------------------------
    def admin(self, user="admin", password="admin", **kw):
        return pymysql.connect(host="127.0.0.1", port=self.admin_port, user=user, password=password,
                               autocommit=True, **kw)

    def client(self, user="app", password="secret", **kw):
        return pymysql.connect(host="127.0.0.1", port=self.client_port, user=user, password=password,
                               autocommit=True, **kw)

    def cli(self, sql, port=None, user="admin", password="admin", extra=None):
        """Runs the `mariadb` command-line client; returns CompletedProcess."""
        port = port or self.admin_port
        cmd = ["mariadb", "-h127.0.0.1", f"-P{port}", f"-u{user}", f"-p{password}", "--batch",
               "--skip-ssl", "-e", sql] + (extra or [])
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def query(conn, sql, args=None):
    with conn.cursor() as cur:
        cur.execute(sql, args)
        return cur.fetchall()


def query_with_columns(conn, sql):
    with conn.cursor() as cur:
        cur.execute(sql)
        return [d[0] for d in cur.description], cur.fetchall()
