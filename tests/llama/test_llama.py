"""The GENAI suite against a real llama.cpp llama-server (`make test-llama`).

Two llama-servers run the tiny random-weight BERT models of scripts/make-tiny-models.py: an
embedding model (`--embeddings`, mean pooling) and a reranker (`--embeddings --pooling rank
--reranking`), both with `-np 1` so that every answer is bit-for-bit repeatable. The proxy's
answers are compared with what the same server answers when the test asks it directly: vectors and
scores must be the same numbers (the proxy prints shortest round-trip text, so parsing both sides
gives equal doubles), and the rerank order must be the direct scores sorted descending, ties by
lower index. Both llama-server endpoint styles are covered: `/embedding` + `/rerank` and the
OpenAI-style `/v1/embeddings` + `/v1/rerank`.

    python3 test_llama.py [-v] [unittest names...]   (prints "N passed, N failed, N skipped")
"""
import math
import os
import struct
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402
from llama_server import EMBED_MODEL, LLAMA_SERVER, RERANK_MODEL, HttpError, LlamaServer  # noqa: E402
from service import (ER_INPUT_TOO_LONG, ER_INVALID_REQUEST, ER_SERVICE_ERROR, as_text,  # noqa: E402
                     genai, parse_vector)

embed_server = None
rerank_server = None


def setUpModule():
    global embed_server, rerank_server
    for path in (LLAMA_SERVER, EMBED_MODEL, RERANK_MODEL):
        if not os.path.exists(path):
            raise unittest.SkipTest(f"{path} is missing: run `make test-llama`")
    embed_server = LlamaServer(EMBED_MODEL, ["--embeddings"]).start()
    try:
        rerank_server = LlamaServer(RERANK_MODEL, ["--embeddings", "--pooling", "rank",
                                                   "--reranking"]).start()
    except Exception:
        embed_server.stop()
        raise


def tearDownModule():
    for server in (embed_server, rerank_server):
        if server is not None:
            server.stop()


def float32(values):
    """The values as float32, as the binary format carries them."""
    return list(struct.unpack("<%df" % len(values), struct.pack("<%df" % len(values), *values)))


def expected_order(scores):
    return sorted(range(len(scores)), key=lambda i: (-scores[i], i))


UNICODE_DOCS = ["unicode: naïve café Ωμέγα 漢字", "漢字 字漢 and 🦙🚀", "emoji 🦙 alone",
                'quotes "double" and \'single\'', "back\\slash and\ttab\nnewline",
                "json-ish {\"a\": [1, 2]} \\u0041", "sql-ish '; drop table t; --"]

RERANK_QUERY = "how do llamas compute embeddings"
RERANK_DOCS = ["llamas are animals", "embeddings are vectors computed by models",
               "how to compute embeddings with llamas", "unrelated text about cooking",
               "do llamas dream", "vectors", "a model computes", "cooking llamas", "embeddings",
               "how", "compute how do", "the end"]


class LlamaCase:
    """Mixin: a proxy whose genai URIs point at the two llama-servers through the given paths."""
    embedding_path = "/embedding"
    rerank_path = "/rerank"
    genai_vars = {}

    @classmethod
    def setUpClass(cls):
        cls.proxy = harness.Proxy(genai={"embedding_uri": embed_server.url(cls.embedding_path),
                                         "rerank_uri": rerank_server.url(cls.rerank_path),
                                         **cls.genai_vars})
        try:
            cls.proxy.start()
            cls.conn = cls.proxy.client()
        except Exception:
            cls.proxy.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.conn.close()
        except Exception:
            pass
        cls.proxy.cleanup()

    def embed(self, documents, **extra):
        return genai(self.conn, {"type": "embed", "documents": documents, **extra})

    def rerank(self, query, documents, **extra):
        return genai(self.conn, {"type": "rerank", "query": query, "documents": documents, **extra})

    def direct_vectors(self, documents):
        return embed_server.embed(documents, self.embedding_path)

    def direct_scores(self, query, documents):
        return rerank_server.rerank(query, documents, self.rerank_path)

    def assert_embeddings(self, documents, fmt="csv"):
        """The proxy's rows hold exactly llama-server's own vectors, in input order."""
        columns, rows = self.embed(documents, format=fmt)
        self.assertEqual(columns, ["embedding"])
        self.assertEqual(len(rows), len(documents))
        direct = self.direct_vectors(documents)
        for row, doc, vector in zip(rows, documents, direct):
            got = parse_vector(row[0], fmt)
            want = float32(vector) if fmt == "binary" else vector
            self.assertEqual(len(got), 32, doc)
            self.assertEqual(got, want, doc)
        return direct

    def assert_reranked(self, query, documents, top_n=0, columns=None):
        extra = {}
        if top_n:
            extra["top_n"] = top_n
        if columns:
            extra["columns"] = columns
        names, rows = self.rerank(query, documents, **extra)
        self.assertEqual(names, ["index", "score"] if columns == 2 else ["index", "score", "document"])
        scores = self.direct_scores(query, documents)
        order = expected_order(scores)
        if top_n:
            order = order[:top_n]
        self.assertEqual([int(r[0]) for r in rows], order)
        self.assertEqual([float(r[1]) for r in rows], [scores[i] for i in order])
        if columns != 2:
            self.assertEqual([as_text(r[2]) for r in rows], [documents[i] for i in order])
        return scores


class GenaiSuite(LlamaCase):
    # embed ----------------------------------------------------------------------------
    def test_embed_single_document(self):
        vector = self.assert_embeddings(["hello world"])[0]
        self.assertAlmostEqual(math.sqrt(sum(x * x for x in vector)), 1.0, places=5)  # L2-normalised

    def test_embed_several_documents_every_format(self):
        docs = [f"document {i} about {'llamas' if i % 2 else 'vectors'} and the number {i * 7}"
                for i in range(9)]
        for fmt in ("csv", "json", "binary"):
            with self.subTest(format=fmt):
                direct = self.assert_embeddings(docs, fmt)
        self.assertEqual(len({tuple(v) for v in direct}), len(docs))  # the vectors differ

    def test_embed_text_forms(self):
        _, rows = self.embed(["quick brown fox"], format="json")
        self.assertTrue(as_text(rows[0][0]).startswith("["))
        _, rows = self.embed(["quick brown fox"], format="binary")
        self.assertEqual(len(rows[0][0]), 4 * 32)

    def test_embed_duplicates_and_a_larger_batch(self):
        docs = [f"batch item {i % 13} of topic {i % 3}" for i in range(60)]
        self.assert_embeddings(docs)
        self.assert_embeddings(docs, "binary")

    def test_embed_unicode_and_special_characters(self):
        direct = self.assert_embeddings(UNICODE_DOCS)
        self.assert_embeddings(UNICODE_DOCS, "json")
        # Each text has its own vector, so a changed byte on the way would show.
        self.assertEqual(len({tuple(v) for v in direct}), len(UNICODE_DOCS))
        self.assertNotIn(1, embed_server.tokenize(UNICODE_DOCS[0] + " 🦙🚀"))  # [UNK] is id 1: every piece is known

    def test_embed_blank_documents_are_null_and_not_sent(self):
        docs = ["first text", None, "   ", "last text"]
        _, rows = self.embed(docs)
        self.assertIsNone(rows[1][0])
        self.assertIsNone(rows[2][0])
        direct = self.direct_vectors(["first text", "last text"])
        self.assertEqual(parse_vector(rows[0][0]), direct[0])
        self.assertEqual(parse_vector(rows[3][0]), direct[1])

    def test_embed_is_repeatable(self):
        docs = ["same text twice", "other text"]
        _, first = self.embed(docs)
        _, second = self.embed(docs)
        self.assertEqual(first, second)

    # rerank ---------------------------------------------------------------------------
    def test_rerank_order_and_scores(self):
        scores = self.assert_reranked(RERANK_QUERY, RERANK_DOCS)
        self.assertGreater(len(set(scores)), 1)  # a real ranking, not all equal

    def test_rerank_top_n(self):
        for top_n in (1, 3, len(RERANK_DOCS), len(RERANK_DOCS) + 5):
            with self.subTest(top_n=top_n):
                self.assert_reranked(RERANK_QUERY, RERANK_DOCS, top_n=top_n)

    def test_rerank_two_columns(self):
        self.assert_reranked(RERANK_QUERY, RERANK_DOCS, top_n=4, columns=2)
        self.assert_reranked(RERANK_QUERY, RERANK_DOCS, columns=3)

    def test_rerank_ties_keep_the_lower_index_first(self):
        docs = ["cooking llamas", "vectors", "cooking llamas", "the end", "vectors", "cooking llamas"]
        scores = self.assert_reranked("llamas", docs)
        self.assertEqual(scores[0], scores[2])  # -np 1: identical pairs score identically
        self.assertEqual(scores[0], scores[5])

    def test_rerank_single_document(self):
        self.assert_reranked("query", ["only document"])

    def test_rerank_unicode(self):
        self.assert_reranked("漢字 🦙 naïve", UNICODE_DOCS, top_n=5)

    def test_rerank_blank_document_comes_last(self):
        docs = ["do llamas dream", None, "vectors", "  "]
        _, rows = self.rerank("llamas", docs)
        scores = self.direct_scores("llamas", ["do llamas dream", "vectors"])
        order = [[0, 2][i] for i in expected_order(scores)]
        self.assertEqual([int(r[0]) for r in rows], order + [1, 3])
        self.assertEqual([None if r[1] is None else float(r[1]) for r in rows],
                         sorted(scores, reverse=True) + [None, None])

    def test_embed_and_rerank_interleaved(self):
        for i in range(5):
            docs = [f"mixed {i} llamas", f"mixed {i} vectors", f"mixed {i} cooking"]
            self.assert_embeddings(docs)
            self.assert_reranked(f"mixed {i}", docs)

    # errors ---------------------------------------------------------------------------
    def test_over_long_embedding_input(self):
        long_doc = " ".join(["llama"] * 300)  # 302 tokens with [CLS] and [SEP]; the context is 128
        with self.assertRaises(HttpError) as direct:
            self.direct_vectors(["short", long_doc])
        self.assertEqual(direct.exception.status, 400)
        # Its own code, naming the document and the server's token counts.
        self.assert_error({"type": "embed", "documents": ["short", long_doc]}, ER_INPUT_TOO_LONG,
                          "document 2", "is longer than", "302 tokens", "context 128 tokens")
        self.assert_usable()

    def test_over_long_rerank_input(self):
        long_doc = " ".join(["vectors"] * 300)
        with self.assertRaises(HttpError) as direct:
            self.direct_scores("llamas", ["short", long_doc])
        self.assertEqual(direct.exception.status, 400)
        self.assert_error({"type": "rerank", "query": "llamas", "documents": ["short", long_doc]},
                          ER_INPUT_TOO_LONG, "is longer than", "context 128 tokens")
        self.assert_usable()

    def test_invalid_request_is_answered_by_the_proxy(self):
        self.assert_error({"type": "embed", "documents": []}, ER_INVALID_REQUEST, "documents")
        self.assert_error({"type": "rerank", "documents": ["a"]}, ER_INVALID_REQUEST, "query")
        self.assert_usable()

    def assert_error(self, request, code, *fragments):
        import pymysql
        with self.assertRaises(pymysql.err.MySQLError) as ctx:
            genai(self.conn, request)
        err_code, message = ctx.exception.args[0], str(ctx.exception.args[1])
        self.assertEqual(err_code, code, message)
        for fragment in fragments:
            self.assertIn(fragment, message)
        return message

    def assert_usable(self):
        self.assert_embeddings(["still usable"])
        self.assert_reranked("still", ["usable", "still usable"])


class NativeEndpointsTest(GenaiSuite, unittest.TestCase):
    """llama-server's own routes: /embedding (native answer) and /rerank."""
    embedding_path = "/embedding"
    rerank_path = "/rerank"


class OpenAiEndpointsTest(GenaiSuite, unittest.TestCase):
    """The OpenAI-style routes: /v1/embeddings ({"data": [...]}) and /v1/rerank."""
    embedding_path = "/v1/embeddings"
    rerank_path = "/v1/rerank"

    def test_both_routes_give_the_same_numbers(self):
        docs = ["hello world", "do llamas dream"]
        self.assertEqual(embed_server.embed(docs, "/embedding"), embed_server.embed(docs, "/v1/embeddings"))
        self.assertEqual(rerank_server.rerank("llamas", docs, "/rerank"),
                         rerank_server.rerank("llamas", docs, "/v1/rerank"))


class SplitBatchesTest(LlamaCase, unittest.TestCase):
    """genai-batch_size splits a statement into several concurrent upstream requests; the joined
    answer is still llama-server's, in order."""
    genai_vars = {"batch_size": 3}

    def test_embed(self):
        docs = [f"split batch document {i} about llamas {i % 4}" for i in range(17)]
        self.assert_embeddings(docs)
        self.assert_embeddings(docs, "binary")

    def test_rerank(self):
        self.assert_reranked(RERANK_QUERY, RERANK_DOCS)
        self.assert_reranked(RERANK_QUERY, RERANK_DOCS, top_n=4)


class MisconfiguredServersTest(unittest.TestCase):
    """Requests llama-server rejects: the proxy passes its status and message on (9104)."""

    @classmethod
    def setUpClass(cls):
        # Reranking on the embedding-only server; embeddings on a route llama-server lacks.
        cls.proxy = harness.Proxy(genai={"embedding_uri": embed_server.url("/no/such/route"),
                                         "rerank_uri": embed_server.url("/rerank")})
        cls.proxy.start()
        cls.conn = cls.proxy.client()

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        cls.proxy.cleanup()

    def error(self, request):
        import pymysql
        with self.assertRaises(pymysql.err.MySQLError) as ctx:
            genai(self.conn, request)
        return ctx.exception.args[0], str(ctx.exception.args[1])

    def test_rerank_on_an_embedding_server(self):
        with self.assertRaises(HttpError) as direct:
            embed_server.rerank("q", ["a"])
        self.assertEqual(direct.exception.status, 501)
        code, message = self.error({"type": "rerank", "query": "q", "documents": ["a", "b"]})
        self.assertEqual(code, ER_SERVICE_ERROR, message)
        self.assertIn("501", message)
        self.assertIn(direct.exception.json()["error"]["message"], message)

    def test_unknown_route(self):
        with self.assertRaises(HttpError) as direct:
            embed_server.request("/no/such/route", {"input": ["a"]})
        code, message = self.error({"type": "embed", "documents": ["a"]})
        self.assertEqual(code, ER_SERVICE_ERROR, message)
        self.assertIn(str(direct.exception.status), message)

    def test_session_stays_usable(self):
        self.error({"type": "embed", "documents": ["a"]})
        with self.proxy.admin() as admin:
            harness.query(admin, f"SET genai-embedding_uri='{embed_server.url('/embedding')}'")
            harness.query(admin, "LOAD GENAI VARIABLES TO RUNTIME")
        try:
            _, rows = genai(self.conn, {"type": "embed", "documents": ["back again"]})
            self.assertEqual(parse_vector(rows[0][0]), embed_server.embed(["back again"])[0])
        finally:
            with self.proxy.admin() as admin:
                harness.query(admin, f"SET genai-embedding_uri='{embed_server.url('/no/such/route')}'")
                harness.query(admin, "LOAD GENAI VARIABLES TO RUNTIME")


class DiscoveryTest(unittest.TestCase):
    """Capability discovery against the real servers: after LOAD GENAI MODELS TO RUNTIME,
    runtime_genai_endpoints shows the dimension and context size the embedding server really
    has (as its /v1/models and /props say), and an embed model pointed at the reranker (whose
    embeddings are zeros or garbage; it answers /rerank) gets the kind warning."""

    COLUMNS = ("probe_state", "discovered_kind", "discovered_dimension", "discovered_context",
               "discovered_slots", "warning")

    @classmethod
    def setUpClass(cls):
        cls.proxy = harness.Proxy(genai={"embedding_uri": "lexical:", "rerank_uri": "lexical:"})
        cls.proxy.start()
        try:
            with cls.proxy.admin() as admin:
                for name, kind, uri in (("real", "embed", embed_server.url("/embedding")),
                                        ("ranker", "rerank", rerank_server.url("/rerank")),
                                        ("misplaced", "embed", rerank_server.url("/embedding"))):
                    harness.query(admin, f"INSERT INTO genai_models (name, kind, format) VALUES "
                                         f"('{name}', '{kind}', 'llama')")
                    harness.query(admin, f"INSERT INTO genai_endpoints (model_name, uri) VALUES "
                                         f"('{name}', '{uri}')")
                harness.query(admin, "LOAD GENAI MODELS TO RUNTIME")
        except Exception:
            cls.proxy.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.proxy.cleanup()

    def row(self, model, timeout=20):
        deadline = time.time() + timeout
        while True:
            with self.proxy.admin() as admin:
                row = dict(zip(self.COLUMNS, harness.query(
                    admin, f"SELECT {', '.join(self.COLUMNS)} FROM runtime_genai_endpoints "
                           f"WHERE model_name = '{model}'")[0]))
            if row["probe_state"] != "not_probed" or time.time() > deadline:
                return row
            time.sleep(0.2)

    def test_real_dimension_and_context(self):
        meta = embed_server.get("/v1/models")["data"][0]["meta"]
        props = embed_server.get("/props")
        row = self.row("real")
        self.assertEqual(row["probe_state"], "ok", row)
        self.assertEqual(row["discovered_kind"], "embed")
        self.assertEqual(int(row["discovered_dimension"]), meta["n_embd"])
        self.assertEqual(int(row["discovered_dimension"]), len(embed_server.embed(["x"])[0]))
        self.assertEqual(int(row["discovered_context"]),
                         props["default_generation_settings"]["n_ctx"])
        self.assertEqual(int(row["discovered_slots"]), props["total_slots"])
        self.assertEqual(row["warning"], "")

    def test_reranker_is_recognised(self):
        row = self.row("ranker")
        self.assertEqual(row["probe_state"], "ok", row)
        self.assertEqual(row["discovered_kind"], "rerank")
        self.assertEqual(row["warning"], "")

    def test_embed_model_at_the_reranker_is_a_kind_warning(self):
        row = self.row("misplaced")
        self.assertEqual(row["discovered_kind"], "rerank", row)
        self.assertIn("serves a rerank model", row["warning"])
        self.assertIn("model 'misplaced'", self.proxy.logs())


def main():
    started = time.monotonic()
    program = unittest.main(module=__name__, exit=False, verbosity=2)
    result = program.result
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    print(f"test-llama: tests took {time.monotonic() - started:.1f} s")
    print(f"test-llama: {passed} passed, {failed} failed, {skipped} skipped")
    sys.exit(0 if failed == 0 and result.testsRun > 0 else 1)


if __name__ == "__main__":
    main()
