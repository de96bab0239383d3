"""Runs a real llama.cpp llama-server for tests/llama (see scripts/build-llama-server.sh)."""
import json
import os
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import harness

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
LLAMA_DIR = os.environ.get("GP_LLAMA_DIR", os.path.join(ROOT, "build", "llama"))
LLAMA_SERVER = os.environ.get("GP_LLAMA_SERVER", os.path.join(LLAMA_DIR, "bin", "llama-server"))
MODELS = os.environ.get("GP_LLAMA_MODELS", os.path.join(LLAMA_DIR, "models"))
EMBED_MODEL = os.path.join(MODELS, "tiny-embed.gguf")
RERANK_MODEL = os.path.join(MODELS, "tiny-rerank.gguf")


class HttpError(Exception):
    def __init__(self, status, body):
        super().__init__(f"HTTP {status}: {body[:300]!r}")
        self.status = status
        self.body = body

    def json(self):
        return json.loads(self.body)


class LlamaServer:
    """One llama-server process on a free loopback port; always stopped on exit.

    `-np 1`: one slot, so that a result never depends on what else is batched with it
    (with several slots, values move in the last digits between identical calls).
    """

    def __init__(self, model, extra_args=()):
        self.model = model
        self.extra_args = list(extra_args)
        self.proc = None
        self.port = None

    def start(self, timeout=120):
        for attempt in range(3):
            self.port = harness.free_port()
            args = [LLAMA_SERVER, "-m", self.model, "--host", "127.0.0.1", "--port", str(self.port),
                    "-np", "1", "-t", "2", "--no-webui"] + self.extra_args
            self.log = tempfile.NamedTemporaryFile(prefix="llama-server-", suffix=".log", delete=False)
            self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL)
            try:
                self.wait_healthy(timeout)
                return self
            except RuntimeError:
                self.stop(keep_log=True)
                text = self.logs()
                if "bind" in text.lower() and attempt < 2:  # the free port was taken meanwhile
                    continue
                raise RuntimeError("llama-server did not start: %s\n%s" % (" ".join(args), text[-4000:]))
        return self

    def wait_healthy(self, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"exited with {self.proc.returncode}")
            try:
                if self.get("/health").get("status") == "ok":
                    return
            except (OSError, HttpError, ValueError):
                pass
            time.sleep(0.1)
        raise RuntimeError(f"/health not ok within {timeout}s")

    def stop(self, keep_log=False):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.log.close()
        if not keep_log:
            os.unlink(self.log.name)

    def logs(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    # Direct HTTP calls, for the values the proxy must reproduce ---------------------
    def request(self, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode()
        req = urllib.request.Request(self.url(path), data=data,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as e:
            raise HttpError(e.code, e.read().decode("utf-8", "replace")) from None

    def get(self, path):
        return self.request(path)

    def embed(self, documents, path="/embedding"):
        """The server's vectors for `documents`, in input order (matched by `index`)."""
        answer = self.request(path, {"input": documents})
        items = answer["data"] if isinstance(answer, dict) else answer
        vectors = [None] * len(documents)
        for item in items:
            vector = item["embedding"]
            if vector and isinstance(vector[0], list):  # native form: a list of (pooled) vectors
                assert len(vector) == 1, "expected one pooled vector per input"
                vector = vector[0]
            vectors[item["index"]] = vector
        assert all(v is not None for v in vectors)
        return vectors

    def rerank(self, query, documents, path="/rerank"):
        """The server's scores for `documents`, in input order (matched by `index`)."""
        answer = self.request(path, {"query": query, "documents": documents,
                                     "top_n": len(documents)})
        scores = [None] * len(documents)
        for item in answer["results"]:
            scores[item["index"]] = item["relevance_score"]
        assert all(s is not None for s in scores)
        return scores

    def tokenize(self, text):
        return self.request("/tokenize", {"content": text})["tokens"]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
