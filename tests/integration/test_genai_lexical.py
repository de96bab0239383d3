"""The built-in `lexical:` provider: hashed term vectors and BM25, no service needed."""
import math
import unittest

import harness
from service import genai, parse_vector


class LexicalTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.proxy = harness.Proxy(genai={"embedding_uri": "lexical:", "rerank_uri": "lexical:",
                                         "lexical_dimensions": 64})
        cls.proxy.start()
        cls.conn = cls.proxy.client()

    @classmethod
    def tearDownClass(cls):
        cls.conn.close()
        cls.proxy.cleanup()

    def embed(self, docs, fmt="csv"):
        _, rows = genai(self.conn, {"type": "embed", "documents": docs, "format": fmt})
        return [parse_vector(r[0], fmt) for r in rows]

    def test_vectors_are_normalised_and_deterministic(self):
        docs = ["the quick brown fox", "a lazy dog sleeps", "the quick brown fox"]
        vectors = self.embed(docs)
        for v in vectors:
            self.assertEqual(len(v), 64)
            self.assertAlmostEqual(math.sqrt(sum(x * x for x in v)), 1.0, places=5)
        self.assertEqual(vectors[0], vectors[2])
        self.assertNotEqual(vectors[0], vectors[1])
        self.assertEqual(self.embed(["the quick brown fox"])[0], vectors[0])

    def test_shared_words_mean_closer_vectors(self):
        a, b, c = self.embed(["database proxy for mysql", "mysql database proxy server",
                              "banana bread recipe"])
        dot = lambda x, y: sum(p * q for p, q in zip(x, y))  # noqa: E731
        self.assertGreater(dot(a, b), dot(a, c))

    def test_binary_matches_csv(self):
        csv = self.embed(["binary check"])[0]
        binary = self.embed(["binary check"], fmt="binary")[0]
        self.assertEqual(len(binary), 64)
        for x, y in zip(csv, binary):
            self.assertAlmostEqual(x, y, places=6)


if __name__ == "__main__":
    unittest.main()
