"""Runs the llama-server-compatible test service (tests/support/fake_llama.py)."""
import json
import os
import signal
import subprocess
import sys
import tempfile
import urllib.request

import harness

SUPPORT_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "../support"))
sys.path.insert(0, SUPPORT_DIR)
import fake_model  # noqa: E402,F401  (re-exported for the tests)

PYTHON = "/usr/bin/python3"


class FakeService:
    """One fake_llama process on a free port; always stopped on exit."""

    def __init__(self, dimension=fake_model.DEFAULT_DIMENSION, api_key=None, input_order=False,
                 workers=1, extra_args=None, port=None):
        self.dimension = dimension
        self.port = port or harness.free_port()
        self.args = [PYTHON, os.path.join(SUPPORT_DIR, "fake_llama.py"), "--port", str(self.port),
                     "--dimension", str(dimension), "--workers", str(workers)]
        if api_key:
            self.args += ["--api-key", api_key]
        if input_order:
            self.args.append("--input-order")
        self.args += extra_args or []
        self.proc = None

    def start(self):
        # A file, not a pipe: nobody reads while the test runs, and a full pipe would block the service.
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.args, stdout=subprocess.DEVNULL, stderr=self.log)
        harness.wait_port(self.port, proc=self.proc)
        return self

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        self.proc = None

    def kill(self):
        """Stops the service abruptly; its port then refuses connections."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stop()

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
        """Sets global faults (mode=..., delay_ms=...); no argument clears them."""
        return self._call("/control", settings)

    def stats(self):
        return self._call("/stats")

    def reset_stats(self):
        return self._call("/stats/reset", {})

    def last_body(self):
        return json.loads(self.stats()["last_body"])
