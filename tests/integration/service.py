"""Runs the llama-server-compatible test service (tests/support/fake_llama.py)."""
import json
import os
import signal
import struct
import subprocess
import sys
import tempfile
import unittest
import urllib.request

import pymysql

import harness

SUPPORT_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "../support"))
sys.path.insert(0, SUPPORT_DIR)
import fake_model  # noqa: E402,F401  (re-exported for the tests)

PYTHON = "/usr/bin/python3"


class FakeService:
    """One fake_llama process on a free port; always stopped on exit."""

    def __init__(self, dimension=fake_model.DEFAULT_DIMENSION, api_key=None, input_order=False,
                 workers=1, extra_args=None, port=None, kind=None, claim_dimension=None,
                 loading_ms=None, model_id=None):
        self.dimension = dimension
        self.port = port or harness.free_port()
        self.args = [PYTHON, os.path.join(SUPPORT_DIR, "fake_llama.py"), "--port", str(self.port),
                     "--dimension", str(dimension), "--workers", str(workers)]
        if api_key:
            self.args += ["--api-key", api_key]
        if input_order:
            self.args.append("--input-order")
        # What the metadata routes claim (kind, dimension) and a model still loading.
        for flag, value in (("--kind", kind), ("--claim-dimension", claim_dimension),
                            ("--loading-ms", loading_ms), ("--model-id", model_id)):
            if value is not None:
                self.args += [flag, str(value)]
        self.args += extra_args or []
        self.proc = None

    def start(self):
        # A file, not a pipe: nobody reads while the test runs, and a full pipe would block the service.
        self.log = tempfile.TemporaryFile()
        # Its own process group, so that stopping it also stops forked workers.
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=self.log,
                                     start_new_session=True)
        harness.wait_port(self.port, proc=self.proc)
        return self

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self._signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                self.proc.wait()
        self._signal_group(signal.SIGKILL)  # workers that outlived their parent
        self.log.close()
        self.proc = None

    def kill(self):
        """Stops the service abruptly; its port then refuses connections."""
        if self.proc is not None:
            self._signal_group(signal.SIGKILL)
            self.proc.wait()
        self.stop()

    def _signal_group(self, sig):
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    def restart(self):
        self.kill()
        return self.start()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # HTTP helpers -------------------------------------------------------------
    def url(self, path="/embedding"):
        return f"http://127.0.0.1:{self.port}{path}"

    def _call(self, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.url(path), data=data,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def control(self, **settings):
        """Sets global faults (mode=..., delay_ms=...) or claims (kind=..., claim_dimension=...,
        loading_ms=...); no argument clears the faults."""
        return self._call("/control", settings)

    def stats(self):
        return self._call("/stats")

    def reset_stats(self):
        return self._call("/stats/reset", {})

    def last_body(self):
        return json.loads(self.stats()["last_body"])


# GENAI statement helpers shared by the test_genai* modules ----------------------

# Error codes of GENAI statements (docs/ lists them).
ER_INVALID_REQUEST = 9101
ER_UNREACHABLE = 9102
ER_TIMEOUT = 9103
ER_SERVICE_ERROR = 9104
ER_INVALID_ANSWER = 9105
ER_UNAVAILABLE = 9106
ER_OVERLOADED = 9107
ER_CANCELLED = 9108
ER_INPUT_TOO_LONG = 9111


def statement(request):
    """A GENAI: statement with the JSON written as UTF-8, not \\u escapes."""
    return "GENAI: " + json.dumps(request, ensure_ascii=False)


def genai(conn, request):
    """Runs one GENAI statement (dict or raw text); returns (column names, rows)."""
    sql = request if isinstance(request, str) else statement(request)
    with conn.cursor() as cur:
        cur.execute(sql)
        return [d[0] for d in cur.description or ()], list(cur.fetchall())


def as_text(value):
    return value.decode("utf-8") if isinstance(value, (bytes, bytearray)) else value


def parse_vector(value, fmt="csv"):
    """The floats of one `embedding` cell in the given format."""
    if fmt == "binary":
        raw = bytes(value) if not isinstance(value, str) else value.encode("latin-1")
        if len(raw) % 4:
            raise AssertionError(f"binary embedding of {len(raw)} bytes is not float32 data")
        return list(struct.unpack("<%df" % (len(raw) // 4), raw))
    text = as_text(value)
    if fmt == "json":
        return json.loads(text)
    return [float(x) for x in text.split(",")]


def genai_stats(admin_conn):
    """stats_genai_global as {name: int or str}."""
    out = {}
    for name, value in harness.query(admin_conn, "SELECT * FROM stats_genai_global"):
        try:
            out[name] = int(value)
        except (TypeError, ValueError):
            out[name] = value
    return out


class GenaiTestCase(unittest.TestCase):
    """A proxy whose embedding and rerank URIs point at one FakeService."""

    service_args = {}
    genai_vars = {}
    embedding_path = "/embedding"
    rerank_path = "/rerank"

    @classmethod
    def setUpClass(cls):
        cls.service = FakeService(**cls.service_args).start()
        genai_vars = {"embedding_uri": cls.service.url(cls.embedding_path),
                      "rerank_uri": cls.service.url(cls.rerank_path)}
        genai_vars.update(cls.genai_vars)
        cls.proxy = harness.Proxy(genai=genai_vars)
        try:
            cls.proxy.start()
            cls.conn = cls.proxy.client()
        except Exception:
            cls.proxy.cleanup()
            cls.service.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.conn.close()
        except Exception:
            pass
        cls.proxy.cleanup()
        cls.service.stop()

    def setUp(self):
        self.service.control()

    def embed(self, documents, conn=None, **extra):
        request = {"type": "embed", "documents": documents}
        request.update(extra)
        return genai(conn or self.conn, request)

    def rerank(self, query, documents, conn=None, **extra):
        request = {"type": "rerank", "query": query, "documents": documents}
        request.update(extra)
        return genai(conn or self.conn, request)

    def assert_embeddings(self, rows, documents, fmt="csv", dimension=None):
        """Each row holds exactly the service's vector for its document, in input order."""
        dimension = dimension or self.service.dimension
        self.assertEqual(len(rows), len(documents))
        for row, doc in zip(rows, documents):
            got = parse_vector(row[-1], fmt)
            if fmt == "binary":
                self.assertEqual(got, fake_model.embedding_float32(doc, dimension), doc[:80])
            else:
                self.assertEqual(got, fake_model.embedding(doc, dimension), doc[:80])

    def assert_reranked(self, columns, rows, query, documents, top_n=0, with_document=True):
        self.assertEqual(columns, ["index", "score", "document"] if with_document
                         else ["index", "score"])
        expected = fake_model.expected_rerank(query, documents, top_n)
        self.assertEqual([(int(r[0]), float(r[1])) for r in rows], expected)
        if with_document:
            self.assertEqual([as_text(r[2]) for r in rows], [documents[i] for i, _ in expected])

    def assert_error(self, request, code, *fragments, conn=None):
        """The statement fails with `code` and a message holding every fragment."""
        conn = conn or self.conn
        with self.assertRaises(pymysql.err.MySQLError) as ctx:
            genai(conn, request)
        err_code, message = ctx.exception.args[0], str(ctx.exception.args[1])
        self.assertEqual(err_code, code, message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    def assert_usable(self, conn=None):
        """The session still answers a GENAI statement correctly."""
        _, rows = self.embed(["still usable"], conn=conn)
        self.assert_embeddings(rows, ["still usable"])
