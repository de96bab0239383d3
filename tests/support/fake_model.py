"""The deterministic "model" behind the test embedding/rerank service.

Tests import these functions to recompute what the service answered for a
given text, so every check is by content, never by position.

Every value is the shortest decimal string that round-trips through float32,
parsed back as a Python float. That string has up to 9 significant digits
(so a client that prints only 6 digits is caught), it is what json.dumps
writes, and a client that keeps the number as float32 or as double prints the
very same digits with a shortest round-trip formatter.
"""
import functools
import hashlib
import re
import struct

DEFAULT_DIMENSION = 16


def shortest_float32(x):
    """The shortest decimal that reads back as the float32 nearest to x."""
    target = struct.unpack("<f", struct.pack("<f", x))[0]
    for digits in range(1, 10):
        text = "%.*g" % (digits, target)
        if struct.unpack("<f", struct.pack("<f", float(text)))[0] == target:
            return float(text)
    return target


def as_float32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def _hash_words(*parts, count):
    """`count` 32-bit words derived from sha256 of the parts."""
    seed = b"\x00".join(p.encode("utf-8") for p in parts)
    words = []
    block = 0
    while len(words) < count:
        digest = hashlib.sha256(seed + block.to_bytes(4, "little")).digest()
        words += struct.unpack("<8I", digest)
        block += 1
    return words[:count]


@functools.lru_cache(maxsize=65536)
def _embedding(text, dimension):
    values = []
    for word in _hash_words(text, count=dimension):
        unit = (word >> 8) / float(1 << 24) * 2.0 - 1.0  # [-1, 1)
        # Some components are small so that exponent notation is exercised.
        scale = 10.0 ** -(word & 3)
        values.append(shortest_float32(unit * scale))
    return tuple(values)


def embedding(text, dimension=DEFAULT_DIMENSION):
    """The vector the service returns for `text` (list of floats)."""
    return list(_embedding(text, dimension))


def embedding_float32(text, dimension=DEFAULT_DIMENSION):
    """The same vector as float32 values (what the binary format carries)."""
    return [as_float32(v) for v in _embedding(text, dimension)]


_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text):
    return set(w.lower() for w in _WORD.findall(text))


@functools.lru_cache(maxsize=65536)
def rerank_score(query, document):
    """Relevance of `document` for `query`: shared words plus a hash fraction.

    Scores are unbounded and may be negative, like a cross-encoder's logits.
    """
    overlap = len(_words(query) & _words(document))
    fraction = (_hash_words(query, document, count=1)[0] >> 8) / float(1 << 24)
    return shortest_float32(overlap * 1.5 + fraction * 2.0 - 1.0)


def expected_rerank(query, documents, top_n=0):
    """(index, score) pairs as the proxy must return them: by score, ties by index."""
    pairs = [(i, rerank_score(query, d)) for i, d in enumerate(documents)]
    pairs.sort(key=lambda p: (-p[1], p[0]))
    return pairs[:top_n] if top_n else pairs


def answer_order(count, salt):
    """A deterministic permutation of range(count) that is not the input order."""
    order = list(range(count))
    order.sort(key=lambda i: hashlib.sha256(f"{salt}:{i}".encode()).digest())
    if count > 1 and order == list(range(count)):
        order.reverse()
    return order
