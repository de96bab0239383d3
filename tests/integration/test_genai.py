"""GENAI embed and rerank through the proxy against the llama-server-compatible test service."""
import json
import unittest
import urllib.request

from service import GenaiTestCase, as_text, fake_model, parse_vector


class EmbedTest(GenaiTestCase):
    def test_single_document(self):
        columns, rows = self.embed(["hello world"])
        self.assertEqual(columns, ["embedding"])
        self.assert_embeddings(rows, ["hello world"])

    def test_sequential_statements_on_one_connection(self):
        for i in range(30):
            doc = f"sequential document number {i}"
            _, rows = self.embed([doc])
            self.assert_embeddings(rows, [doc])

    def test_batch_keeps_input_order(self):
        # The service answers in a shuffled order; rows must follow the request.
        docs = [f"batch item {i} about topic {i % 3}" for i in range(12)]
        _, rows = self.embed(docs)
        self.assert_embeddings(rows, docs)

    def test_duplicate_documents(self):
        docs = ["same", "other", "same"]
        _, rows = self.embed(docs)
        self.assert_embeddings(rows, docs)

    def test_full_precision_csv(self):
        doc = "precision matters"
        _, rows = self.embed([doc], format="csv")
        printed = as_text(rows[0][0]).split(",")
        expected = fake_model.embedding(doc)
        self.assertEqual([float(x) for x in printed], expected)
        # The service sends up to 9 significant digits; 6-digit printing would lose them.
        self.assertTrue(any(len(x.lstrip("-0.").split("e")[0].replace(".", "")) > 6
                            for x in printed), printed)

    def test_json_format(self):
        docs = ["json one", "json two"]
        _, rows = self.embed(docs, format="json")
        for row in rows:
            self.assertTrue(as_text(row[0]).startswith("["))
        self.assert_embeddings(rows, docs, fmt="json")

    def test_binary_format_is_float32_little_endian(self):
        docs = ["binary one", "binary two", "binary three"]
        _, rows = self.embed(docs, format="binary")
        for row in rows:
            self.assertEqual(len(row[0]), 4 * self.service.dimension)
        self.assert_embeddings(rows, docs, fmt="binary")

    def test_special_characters_reach_the_service_intact(self):
        docs = ['double "quotes" and \'single\'', "back\\slash \\n not a newline",
                "tab\there\nnewline\r\nand \x01\x1f controls", "unicode: naïve café Ωμέγα 漢字",
                "emoji: 🦙🚀 and a zero-width joiner 👩‍💻", "sql-ish: '; DROP TABLE t; --",
                "json-ish: {\"a\": [1, 2]} \\u0041 literal"]
        self.service.reset_stats()
        _, rows = self.embed(docs)
        self.assertEqual(self.service.last_body()["input"], docs)
        self.assert_embeddings(rows, docs)

    def test_large_documents(self):
        docs = [("%d large document " % i) * 400 for i in range(8)]  # ~7 KB each
        self.assertGreater(len(docs[0]), 5000)
        _, rows = self.embed(docs)
        self.assert_embeddings(rows, docs)
        self.assertEqual(self.service.last_body()["input"], docs)

    def test_two_thousand_documents(self):
        docs = [f"document {i}: {'x' * (i % 50)}" for i in range(2000)]
        _, rows = self.embed(docs, format="binary")
        self.assert_embeddings(rows, docs, fmt="binary")

    def test_statement_larger_than_one_packet(self):
        # Over 16 MB: the client splits the statement into several protocol packets.
        docs = [f"{i} " + "y" * 6000 for i in range(2800)]
        self.assertGreater(len(json.dumps(docs)), 1 << 24)
        _, rows = self.embed(docs, format="binary")
        self.assert_embeddings(rows, docs, fmt="binary")


class RerankTest(GenaiTestCase):
    QUERY = "how do llamas compute embeddings"
    DOCS = ["llamas are animals", "embeddings are vectors computed by models",
            "how to compute embeddings with llamas", "unrelated text about cooking",
            "do llamas dream", "vectors", "a model computes", "cooking llamas", "embeddings",
            "how", "compute how do", "the end"]

    def test_single_document(self):
        columns, rows = self.rerank("query", ["only document"])
        self.assert_reranked(columns, rows, "query", ["only document"])

    def test_sorted_by_score_with_original_index_and_document(self):
        columns, rows = self.rerank(self.QUERY, self.DOCS)
        self.assert_reranked(columns, rows, self.QUERY, self.DOCS)
        scores = [float(r[1]) for r in rows]
        self.assertEqual(scores, sorted(scores, reverse=True))

    def test_request_reaches_service(self):
        self.service.reset_stats()
        query = 'quoted "query" with \\ and ü and 🦙'
        docs = ["first \"doc\"", "second\ndoc"]
        self.rerank(query, docs, top_n=1)
        body = self.service.last_body()
        self.assertEqual(body["query"], query)
        self.assertEqual(body["documents"], docs)

    def test_batch_of_two_thousand(self):
        docs = [f"doc {i} mentions {'llamas' if i % 7 == 0 else 'nothing'}" for i in range(2000)]
        columns, rows = self.rerank("llamas", docs, top_n=25)
        self.assert_reranked(columns, rows, "llamas", docs, top_n=25)

    def test_mixed_embed_and_rerank_on_one_connection(self):
        for i in range(10):
            docs = [f"mixed {i} a", f"mixed {i} b", f"mixed {i} c"]
            _, rows = self.embed(docs)
            self.assert_embeddings(rows, docs)
            columns, rows = self.rerank(f"mixed {i}", docs)
            self.assert_reranked(columns, rows, f"mixed {i}", docs)


class OldLlamaServerTest(GenaiTestCase):
    """llama-server before 2025-10: rerank answers in input order and ignores top_n."""
    service_args = {"input_order": True}

    def test_proxy_sorts_and_cuts_itself(self):
        docs = RerankTest.DOCS
        self.service.reset_stats()
        columns, rows = self.rerank(RerankTest.QUERY, docs, top_n=3)
        self.assert_reranked(columns, rows, RerankTest.QUERY, docs, top_n=3)

    def test_embed_in_input_order(self):
        docs = ["a", "b", "c"]
        _, rows = self.embed(docs)
        self.assert_embeddings(rows, docs)


class OpenAiAndTeiShapesTest(GenaiTestCase):
    """Answer shapes are recognised from the answer: OpenAI embeddings, TEI rerank."""
    service_args = {"extra_args": ["--tei"], "dimension": 32}
    embedding_path = "/v1/embeddings"
    rerank_path = "/rerank"

    def test_openai_embeddings(self):
        docs = [f"openai shaped {i}" for i in range(11)]
        _, rows = self.embed(docs)
        self.assert_embeddings(rows, docs)
        _, rows = self.embed(docs, format="binary")
        self.assert_embeddings(rows, docs, fmt="binary")

    def test_tei_rerank_without_top_n_upstream(self):
        docs = RerankTest.DOCS
        columns, rows = self.rerank(RerankTest.QUERY, docs, top_n=2)
        self.assert_reranked(columns, rows, RerankTest.QUERY, docs, top_n=2)


class Base64EmbeddingsTest(GenaiTestCase):
    """OpenAI answers with base64 float32 vectors (encoding_format=base64)."""
    service_args = {"extra_args": ["--base64"]}
    embedding_path = "/v1/embeddings"

    def test_all_formats(self):
        docs = [f"base64 document {i}" for i in range(5)]
        self.assertIsInstance(self.service_answer(docs)["data"][0]["embedding"], str)
        for fmt in ("csv", "json", "binary"):
            _, rows = self.embed(docs, format=fmt)
            self.assert_embeddings(rows, docs, fmt=fmt)

    def service_answer(self, docs):
        req = urllib.request.Request(self.service.url("/v1/embeddings"),
                                     data=json.dumps({"input": docs}).encode())
        with urllib.request.urlopen(req, timeout=5) as resp:
            return json.loads(resp.read())


class TeiEmbedTest(GenaiTestCase):
    """text-embeddings-inference: {"inputs": [...]} answered by a bare [[...], ...]."""
    embedding_path = "/embed"

    def test_embed(self):
        docs = [f"tei document {i}" for i in range(6)]
        _, rows = self.embed(docs)
        self.assert_embeddings(rows, docs)
        self.assertEqual(self.service.last_body()["inputs"], docs)


class OllamaEmbedTest(GenaiTestCase):
    """Ollama /api/embed: {"embeddings": [[...], ...]}."""
    embedding_path = "/api/embed"

    def test_embed(self):
        docs = [f"ollama document {i}" for i in range(4)]
        _, rows = self.embed(docs, format="json")
        self.assert_embeddings(rows, docs, fmt="json")


class ModelFieldTest(GenaiTestCase):
    genai_vars = {"embedding_model": "nomic-embed-text-v1.5", "rerank_model": "bge-reranker-v2-m3"}

    def test_model_is_sent_when_set(self):
        self.embed(["model check"])
        self.assertEqual(self.service.last_body()["model"], "nomic-embed-text-v1.5")
        self.rerank("q", ["model check"])
        self.assertEqual(self.service.last_body()["model"], "bge-reranker-v2-m3")

    def test_vector_dimension_matches_service(self):
        _, rows = self.embed(["dimension"])
        self.assertEqual(len(parse_vector(rows[0][0])), self.service.dimension)


if __name__ == "__main__":
    unittest.main()
