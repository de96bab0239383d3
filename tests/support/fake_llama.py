#!/usr/bin/python3
"""A llama-server-compatible embedding and rerank service for tests and benchmarks.

Routes (as llama-server's): POST /embedding, /embeddings (native answer),
POST /v1/embeddings (OpenAI answer), POST /rerank, /reranking, /v1/rerank,
/v1/reranking (Jina answer, or TEI answer when the body has `texts`),
GET /health, /props, /v1/models. Other services' shapes: POST /embed (TEI: {"inputs"} -> [[...]]),
GET /info (TEI), POST /api/embed (Ollama: {"embeddings": [[...]]}), POST /api/show (Ollama).
Test-only routes: GET /stats, POST /stats/reset, GET|POST /control.

What the metadata routes (/props, /v1/models, /info, /api/show) say can be claimed
(--model-id, --context, --slots, --claim-dimension, or /control {"claim_dimension": N}),
and so can the kind (--kind or /control {"kind": ...}): `embed` answers /rerank 501 as an
embedding-only llama-server does, `rerank` embeds every input as zeros as a llama-server
started with --pooling rank does, `both` (default) serves both (so that one process can stand
for an embedding and a rerank server; to the proxy's probes, it is a reranker, since it reranks). "Loading" (--loading-ms or
/control {"loading_ms": N}): for N ms every route answers 503 "Loading model".
Requests with User-Agent genaiproxy-probe (the proxy's capability probes) are counted in
stats["probes"] only, and neither see nor consume faults.

Answers come from fake_model (tests recompute them) and are NOT in input
order unless --input-order is given (old llama-server: input order, top_n
ignored), so a client must pair results by `index`.

Faults, per request by a token inside any input text, query or document, or
globally with POST /control {"mode": NAME, "delay_ms": N} (an empty object clears them):
  __delay_ms=N__  __http_400__  __http_500__  __http_503__  __truncated_json__
  __http_429__ (OpenAI's envelope)  __http_422__ (TEI's envelope)
  __reset__  __wrong_count__  __null_value__  __nan__  __wrong_dimension__
  __not_json__  __bad_index__
Counted faults, by POST /control (they apply to the service's whole request stream):
  {"fail_next": N, "fail_status": S, "retry_after": R}: the next N requests answer HTTP S
    (llama-server's envelope; "Retry-After: R" when R is given; S = 0 resets the connection)
  {"slow_every": K, "slow_ms": M}: every K-th request is answered after M ms
"""
import argparse
import asyncio
import base64
import json
import multiprocessing
import os
import re
import signal
import socket
import struct
import sys
import time

from aiohttp import web

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_model  # noqa: E402

FAULTS = ("http_400", "http_422", "http_429", "http_500", "http_503", "truncated_json", "reset", "wrong_count",
          "null_value", "nan", "wrong_dimension", "not_json", "bad_index")
_FAULT_TOKEN = re.compile(r"__(" + "|".join(FAULTS) + r")__")
_DELAY_TOKEN = re.compile(r"__delay_ms=(\d+)__")

# llama-server's error envelope: {"error":{"code","message","type"}}, HTTP status = code.
_ERRORS = {
    400: ("invalid_request_error", "fake service rejects the request: input is invalid (400)"),
    401: ("authentication_error", "Invalid API Key"),
    500: ("server_error",
          "input (1880 tokens) is too large to process. increase the physical batch size"),
    503: ("unavailable_error", "fake service is unavailable (503)"),
}
# What llama-server answers while it loads its model (--loading-ms, /control loading_ms).
LOADING_MODEL = "Loading model"


KINDS = ("both", "embed", "rerank")


class Control:
    """Global fault settings, in shared memory so that every worker process obeys them."""

    COUNTED = ("fail_next", "fail_status", "retry_after", "slow_every", "slow_ms")

    def __init__(self, mode, delay_ms, kind="both", claim_dimension=0, loading_ms=0):
        self._delay_ms = multiprocessing.RawValue("l", 0)
        self._mode = multiprocessing.RawArray("c", 32)
        self._counted = {name: multiprocessing.RawValue("l", 0) for name in self.COUNTED}
        self._seen = multiprocessing.RawValue("l", 0)
        self._kind = multiprocessing.RawValue("l", KINDS.index(kind))
        self._claim_dimension = multiprocessing.RawValue("l", claim_dimension)
        self._loading_until = multiprocessing.RawValue("d", 0.0)
        self._lock = multiprocessing.Lock()
        self.set({"mode": mode, "delay_ms": delay_ms, "loading_ms": loading_ms})

    def get(self):
        out = {"mode": self._mode.value.decode() or None, "delay_ms": self._delay_ms.value}
        out.update({name: value.value for name, value in self._counted.items()})
        out.update({"kind": KINDS[self._kind.value], "claim_dimension": self._claim_dimension.value,
                    "loading_ms": max(0, int((self._loading_until.value - time.time()) * 1000))})
        return out

    def loading(self):
        return time.time() < self._loading_until.value

    def kind(self):
        return KINDS[self._kind.value]

    def claim_dimension(self):
        return self._claim_dimension.value

    def next_request(self):
        """(HTTP status to fail with or None, Retry-After or 0, extra delay in ms) of a request."""
        with self._lock:
            self._seen.value += 1
            c = {name: value.value for name, value in self._counted.items()}
            delay = c["slow_ms"] if c["slow_every"] and self._seen.value % c["slow_every"] == 0 else 0
            if c["fail_next"] > 0:
                self._counted["fail_next"].value -= 1
                return c["fail_status"], c["retry_after"], delay
            return None, 0, delay

    def set(self, update):
        if not update or "mode" in update or "delay_ms" in update:
            for value in self._counted.values():
                value.value = 0
        for name in self.COUNTED:
            if name in update:
                self._counted[name].value = int(update[name] or 0)
        if "kind" in update:
            if update["kind"] not in KINDS:
                raise ValueError(f"unknown kind {update['kind']!r}; known: {', '.join(KINDS)}")
            self._kind.value = KINDS.index(update["kind"])
        if "claim_dimension" in update:
            self._claim_dimension.value = int(update["claim_dimension"] or 0)
        if "loading_ms" in update:
            self._loading_until.value = time.time() + int(update["loading_ms"] or 0) / 1000.0
        mode = update.get("mode", self.get()["mode"])
        if mode is not None and mode not in FAULTS:
            raise ValueError(f"unknown mode {mode!r}; known: {', '.join(FAULTS)}")
        self._mode.value = (mode or "").encode()
        self._delay_ms.value = int(update.get("delay_ms", self._delay_ms.value) or 0)


class ClientGone(Exception):
    """The connection is closed: there is nobody to answer."""


class Service:
    def __init__(self, args, control):
        self.args = args
        self.control = control
        self.reset_stats()

    def reset_stats(self):
        self.stats = {"requests": 0, "documents": 0, "by_path": {}, "in_flight": 0,
                      "max_in_flight": 0,
                      "cancelled": 0, "unauthorized": 0, "faults": 0, "last_path": None,
                      "last_body": None, "last_headers": None, "history": [],
                      "probes": 0, "probes_by_path": {}, "probe_authorization": None,
                      "loading_answers": 0}

    # Helpers ---------------------------------------------------------------
    def error(self, status, message=None):
        kind, default = _ERRORS.get(status, ("server_error", "fake service error"))
        body = {"error": {"code": status, "message": message or default, "type": kind}}
        return web.json_response(body, status=status)

    def authorized(self, request):
        if not self.args.api_key:
            return True
        return request.headers.get("Authorization") == "Bearer " + self.args.api_key

    def faults_of(self, texts):
        """(fault names, delay in ms) asked for by the texts and the global control."""
        faults = set()
        control = self.control.get()
        delay = control["delay_ms"]
        for text in texts:
            if "__" not in text:
                continue
            faults.update(_FAULT_TOKEN.findall(text))
            for match in _DELAY_TOKEN.findall(text):
                delay = max(delay, int(match))
        if control["mode"]:
            faults.add(control["mode"])
        return faults, delay

    @staticmethod
    def is_probe(request):
        return request.headers.get("User-Agent") == "genaiproxy-probe"

    def count_probe(self, request):
        st = self.stats
        st["probes"] += 1
        st["probes_by_path"][request.path] = st["probes_by_path"].get(request.path, 0) + 1
        st["probe_authorization"] = request.headers.get("Authorization")

    async def read(self, request):
        """Records the request; returns (body text, parsed JSON or None)."""
        raw = await request.read()
        text = raw.decode("utf-8", "replace")
        if self.is_probe(request):
            try:
                return json.loads(text)
            except ValueError:
                return None
        st = self.stats
        st["requests"] += 1
        st["by_path"][request.path] = st["by_path"].get(request.path, 0) + 1
        st["last_path"] = request.path
        st["last_body"] = text
        st["last_headers"] = dict(request.headers)
        st["history"] = (st["history"] + [{"path": request.path, "bytes": len(raw),
                                           "time": time.time()}])[-50:]
        try:
            return json.loads(text)
        except ValueError:
            return None

    async def reply(self, request, faults, delay_ms, payload):
        """Applies transport-level faults, then sends `payload` as JSON."""
        if self.is_probe(request):
            return web.json_response(payload)
        fail_status, retry_after, slow_ms = self.control.next_request()
        delay_ms = max(delay_ms, slow_ms)
        if fail_status is not None:
            self.stats["faults"] += 1
            if fail_status == 0:
                request.transport.abort()
                raise ClientGone()
            answer = self.error(fail_status)
            if retry_after:
                answer.headers["Retry-After"] = str(retry_after)
            return answer
        if delay_ms and not await self.sleep_unless_abandoned(request, delay_ms):
            self.stats["cancelled"] += 1
            raise ClientGone()
        if faults:
            self.stats["faults"] += 1
        for status in (400, 500, 503):
            if f"http_{status}" in faults:
                return self.error(status)
        if "http_429" in faults:
            return web.json_response({"error": {
                "message": "Rate limit reached for requests", "type": "requests",
                "param": None, "code": "rate_limit_exceeded"}}, status=429)
        if "http_422" in faults:
            return web.json_response({"error": "`inputs` must have less than 512 tokens. Given: 600",
                                      "error_type": "Validation"}, status=422)
        if "reset" in faults:
            request.transport.abort()
            raise ClientGone()
        if "not_json" in faults:
            return web.Response(text="<html><body>502 Bad Gateway</body></html>",
                                content_type="application/json")
        body = json.dumps(payload, allow_nan=True, ensure_ascii=False)
        if "truncated_json" in faults:
            body = body[: max(1, len(body) // 2)]
        return web.Response(text=body, content_type="application/json")

    async def sleep_unless_abandoned(self, request, delay_ms):
        """Sleeps; False as soon as the client closes its connection.

        aiohttp 3.8 does not cancel a handler whose client went away, so the
        delay polls the transport: tests check that a cancelled proxy request
        really closes its upstream connection.
        """
        deadline = time.monotonic() + delay_ms / 1000.0
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            await asyncio.sleep(min(left, 0.02))
            transport = request.transport
            if transport is None or transport.is_closing():
                return False

    async def guarded(self, request, handler):
        if self.control.loading():
            if not self.is_probe(request):
                await self.read(request)
            self.stats["loading_answers"] += 1
            return self.error(503, LOADING_MODEL)
        if self.is_probe(request):
            self.count_probe(request)
            if request.path != "/health" and not self.authorized(request):
                return self.error(401)
            try:
                return await handler(request)
            except ClientGone:
                return web.Response(status=499)
        st = self.stats
        st["in_flight"] += 1
        st["max_in_flight"] = max(st["max_in_flight"], st["in_flight"])
        try:
            if request.path != "/health" and not self.authorized(request):
                st["unauthorized"] += 1
                await self.read(request)
                return self.error(401)
            return await handler(request)
        except ClientGone:
            return web.Response(status=499)
        except asyncio.CancelledError:
            st["cancelled"] += 1
            raise
        finally:
            st["in_flight"] -= 1

    # Routes ----------------------------------------------------------------
    async def embedding(self, request, shape):
        """shape: native (llama-server), openai, tei (bare [[...]]) or ollama."""
        body = await self.read(request)
        if not isinstance(body, dict):
            return self.error(400, "Failed to parse the request body as JSON")
        texts = body.get("inputs") if shape == "tei" else body.get("input", body.get("content"))
        if texts is None:
            return self.error(400, '"input" or "content" must be provided')
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            return self.error(400, '"input" must be a string or an array of strings')
        if any(t == "" for t in texts):
            return self.error(400, "Input content cannot be empty")
        self.stats["documents"] += len(texts)
        faults, delay = self.faults_of(texts)
        dim = self.args.dimension
        vectors = [fake_model.embedding(t, dim) for t in texts]
        if self.control.kind() == "rerank":
            # What a llama-server pooling for ranking answers to /embedding.
            vectors = [[0.0] * dim for _ in texts]
        if "wrong_dimension" in faults:
            vectors[-1] = vectors[-1][:-1]
        if "null_value" in faults:
            vectors[0] = [None] + vectors[0][1:]
        if "nan" in faults:
            vectors[0] = [float("nan")] + vectors[0][1:]
        # TEI and Ollama answers carry no index: they are in input order by definition.
        in_order = self.args.input_order or shape in ("tei", "ollama")
        order = (list(range(len(texts))) if in_order
                 else fake_model.answer_order(len(texts), texts[0]))
        if "wrong_count" in faults:
            order = [i for i in order if i != len(texts) - 1] if len(texts) > 1 else []
        index_of = (lambda i: i + 1) if "bad_index" in faults else (lambda i: i)
        if shape == "openai":
            tokens = sum(len(t.split()) for t in texts)
            payload = {"model": body.get("model") or "fake-embedding-model", "object": "list",
                       "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                       "data": [self.openai_item(vectors[i], index_of(i)) for i in order]}
        elif shape == "tei":
            payload = [vectors[i] for i in order]
        elif shape == "ollama":
            payload = {"model": body.get("model") or "fake-embedding-model",
                       "embeddings": [vectors[i] for i in order], "prompt_eval_count": 1}
        else:
            payload = [{"index": index_of(i), "embedding": [vectors[i]]} for i in order]
        return await self.reply(request, faults, delay, payload)

    def openai_item(self, vector, index):
        item = {"embedding": vector, "index": index, "object": "embedding"}
        if self.args.base64 and all(isinstance(v, float) and v == v for v in vector):
            raw = struct.pack("<%df" % len(vector), *vector)
            item.update(embedding=base64.b64encode(raw).decode(), encoding_format="base64")
        return item

    async def rerank(self, request):
        body = await self.read(request)
        if self.control.kind() == "embed":
            return web.json_response({"error": {
                "code": 501, "type": "not_supported_error",
                "message": "This server does not support reranking. Start it with `--reranking`"}},
                status=501)
        if not isinstance(body, dict):
            return self.error(400, "Failed to parse the request body as JSON")
        query = body.get("query")
        if not isinstance(query, str):
            return self.error(400, '"query" must be provided')
        tei = "texts" in body or self.args.tei
        documents = body.get("texts") if "texts" in body else body.get("documents")
        if not isinstance(documents, list) or not documents or not all(
                isinstance(d, str) for d in documents):
            return self.error(400, '"documents" must be a non-empty string array')
        faults, delay = self.faults_of([query] + documents)
        scores = [fake_model.rerank_score(query, d) for d in documents]
        order = list(range(len(documents)))
        if not self.args.input_order:
            # Ties come higher index first: the proxy must apply its own tie rule.
            order.sort(key=lambda i: (-scores[i], -i))
            top_n = body.get("top_n")
            if isinstance(top_n, int) and top_n > 0 and not tei:
                order = order[:top_n]
        if "wrong_count" in faults:
            order = order + [len(documents)]
            scores.append(0.5)
        if "bad_index" in faults:
            order = [len(documents) + 7 if k == 0 else i for k, i in enumerate(order)]
            scores += [0.25] * 8
        if "null_value" in faults:
            scores[order[0]] = None
        if "nan" in faults:
            scores[order[0]] = float("nan")
        key = "score" if tei else "relevance_score"
        results = [{"index": i, key: scores[i]} for i in order]
        if tei:
            payload = results
        else:
            tokens = sum(len(d.split()) for d in documents) + len(query.split())
            payload = {"model": body.get("model") or "fake-rerank-model", "object": "list",
                       "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
                       "results": results}
        return await self.reply(request, faults, delay, payload)

    async def health(self, request):
        if self.control.get()["mode"] == "http_503":
            return self.error(503)
        return web.json_response({"status": "ok"})

    # Metadata routes, in the shapes of the real services ------------------------
    def claimed_dimension(self):
        return self.control.claim_dimension() or self.args.dimension

    async def props(self, request):
        """llama-server GET /props: per-slot context and slot count."""
        return web.json_response({
            "default_generation_settings": {"params": {"n_predict": -1, "seed": 4294967295},
                                            "n_ctx": self.args.context},
            "total_slots": self.args.slots, "model_alias": self.args.model_id,
            "model_path": "/models/" + self.args.model_id + ".gguf", "endpoint_slots": True,
            "build_info": "fake", "is_sleeping": False})

    async def models(self, request):
        """llama-server GET /v1/models (OpenAI's list, with llama-server's meta)."""
        return web.json_response({"object": "list", "data": [{
            "id": self.args.model_id, "aliases": [self.args.model_id], "object": "model",
            "owned_by": "llamacpp", "created": 1796133272,
            "meta": {"vocab_type": 1, "n_vocab": 234, "n_ctx": self.args.context,
                     "n_ctx_train": self.args.context, "n_embd": self.claimed_dimension()}}]})

    async def tei_info(self, request):
        """text-embeddings-inference GET /info."""
        if self.control.kind() == "rerank":
            model_type = {"reranker": {"id2label": {"0": "LABEL_0"}, "label2id": {"LABEL_0": 0}}}
        else:
            model_type = {"embedding": {"pooling": "cls"}}
        return web.json_response({
            "model_id": self.args.model_id, "model_sha": None, "model_dtype": "float32",
            "model_type": model_type, "max_concurrent_requests": 512,
            "max_input_length": self.args.context, "max_batch_tokens": 16384,
            "max_batch_requests": None, "max_client_batch_size": 32, "auto_truncate": False,
            "tokenization_workers": 2, "version": "fake"})

    async def ollama_show(self, request):
        """Ollama POST /api/show {"model"}: model_info keyed by architecture."""
        body = await self.read(request)
        name = (body or {}).get("model") or (body or {}).get("name")
        if not name:
            return web.json_response({"error": "model is required"}, status=400)
        return web.json_response({
            "modelfile": "FROM " + name, "parameters": "", "template": "",
            "details": {"format": "gguf", "family": "bert", "parameter_size": "1M"},
            "model_info": {"general.architecture": "bert", "general.parameter_count": 28800,
                           "bert.embedding_length": self.claimed_dimension(),
                           "bert.context_length": self.args.context,
                           "bert.block_count": 2},
            "capabilities": ["completion"] if self.control.kind() == "rerank" else ["embedding"]})

    async def get_stats(self, request):
        return web.json_response(self.stats)

    async def post_stats_reset(self, request):
        self.reset_stats()
        return web.json_response({"ok": True})

    async def get_control(self, request):
        return web.json_response(self.control.get())

    async def post_control(self, request):
        try:
            update = await request.json()
        except ValueError:
            return self.error(400, "control body must be JSON")
        try:
            self.control.set(update or {"mode": None, "delay_ms": 0})
        except ValueError as e:
            return self.error(400, str(e))
        return web.json_response(self.control.get())

    def app(self):
        app = web.Application(client_max_size=256 * 1024 * 1024)
        wrap = lambda h: (lambda request: self.guarded(request, h))  # noqa: E731
        for path in ("/embedding", "/embeddings"):
            app.router.add_post(path, wrap(lambda r: self.embedding(r, "native")))
        app.router.add_post("/v1/embeddings", wrap(lambda r: self.embedding(r, "openai")))
        app.router.add_post("/embed", wrap(lambda r: self.embedding(r, "tei")))
        app.router.add_post("/api/embed", wrap(lambda r: self.embedding(r, "ollama")))
        for path in ("/rerank", "/reranking", "/v1/rerank", "/v1/reranking"):
            app.router.add_post(path, wrap(self.rerank))
        app.router.add_get("/health", wrap(self.health))
        app.router.add_get("/props", wrap(self.props))
        app.router.add_get("/v1/models", wrap(self.models))
        app.router.add_get("/info", wrap(self.tei_info))
        app.router.add_post("/api/show", wrap(self.ollama_show))
        app.router.add_get("/stats", self.get_stats)
        app.router.add_post("/stats/reset", self.post_stats_reset)
        app.router.add_get("/control", self.get_control)
        app.router.add_post("/control", self.post_control)
        return app


async def serve(args, control, sock):
    runner = web.AppRunner(Service(args, control).app(), access_log=None, handle_signals=False)
    await runner.setup()
    await web.SockSite(runner, sock, backlog=4096).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dimension", type=int, default=fake_model.DEFAULT_DIMENSION)
    parser.add_argument("--api-key", default="")
    parser.add_argument("--input-order", action="store_true",
                        help="answer in input order and ignore top_n (llama-server before 2025-10)")
    parser.add_argument("--tei", action="store_true",
                        help="answer every rerank in TEI's shape [{index, score}], without top_n")
    parser.add_argument("--base64", action="store_true",
                        help="OpenAI embeddings as base64 float32, like encoding_format=base64")
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--mode", choices=FAULTS, default=None)
    parser.add_argument("--kind", choices=KINDS, default="both")
    parser.add_argument("--claim-dimension", type=int, default=0,
                        help="the dimension the metadata routes report (0: the real one)")
    parser.add_argument("--loading-ms", type=int, default=0,
                        help="answer 503 Loading model for this long after start")
    parser.add_argument("--model-id", default="fake-embedding-model")
    parser.add_argument("--context", type=int, default=512)
    parser.add_argument("--slots", type=int, default=4)
    parser.add_argument("--workers", type=int, default=1,
                        help="processes sharing the listening socket (for benchmarks); "
                             "/control applies to all, /stats describes one")
    args = parser.parse_args()

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    sock.listen(4096)
    sock.set_inheritable(True)

    control = Control(args.mode, args.delay_ms, args.kind, args.claim_dimension, args.loading_ms)
    children = []
    for _ in range(max(0, args.workers - 1)):
        pid = os.fork()
        if pid == 0:
            asyncio.run(serve(args, control, sock))
            os._exit(0)
        children.append(pid)
    print("ready", flush=True)
    try:
        asyncio.run(serve(args, control, sock))
    finally:
        for pid in children:
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except OSError:
                pass


if __name__ == "__main__":
    main()
