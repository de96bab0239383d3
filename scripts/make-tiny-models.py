#!/usr/bin/env python3
"""Writes two tiny random-weight BERT models in GGUF for `make test-llama`.

    scripts/make-tiny-models.py [--out DIR] [--gguf-py DIR]

  DIR/tiny-embed.gguf    BERT encoder, mean pooling: served with `llama-server --embeddings`
  DIR/tiny-rerank.gguf   the same encoder plus a classification head (cls, cls.output) and rank
                         pooling: served with `llama-server --embeddings --pooling rank --reranking`

The weights are random (fixed seed, so every run writes the same bytes) and mean nothing; the models
only exist so that a real llama-server computes real vectors and scores quickly. The layout follows
what llama.cpp's convert_hf_to_gguf.py (conversion/bert.py) writes for a BERT model and what
src/models/bert.cpp loads: tensor names from gguf-py's TENSOR_NAMES, a WordPiece ("bert") vocabulary
in llama.cpp's phantom-space form (a word-initial piece is "\u2581piece", a continuation "##piece" is
stored as "piece").

gguf-py comes from the llama.cpp source tree that scripts/build-llama-server.sh unpacks
(build/llama/src/gguf-py); it needs numpy (python3-numpy).
"""
import argparse
import os
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))

SEED = 20240611
HIDDEN = 32
LAYERS = 2
HEADS = 2
FFN = 64
CONTEXT = 128          # n_ctx_train: llama-server's context per slot with -np 1
TOKEN_TYPES = 2

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD, UNK, CLS, SEP, MASK = range(5)

# Whole words (each also spellable from the letter pieces below).
WORDS = """the a an and or of to in on for with is are was be by at as it this that from not
how do does what why which who llama llamas animal animals embedding embeddings vector vectors
model models compute computes computed text document documents query search rank rerank score
about cooking food red green blue fruit apple sky cheap flights hello world one two three first
second third last end proxy server database table row column sql json binary number order top
quick brown fox jumps over lazy dog cat dream dreams unrelated same other mixed batch""".split()
LETTERS = list("abcdefghijklmnopqrstuvwxyz")
DIGITS = list("0123456789")
PUNCTUATION = list(".,;:!?'\"()[]{}-_/\\*+=<>@#$%^&|~`")
# A few non-ASCII pieces, so that unicode text yields its own tokens rather than [UNK].
UNICODE_WORDS = ["ω", "μ", "ε", "έ", "γ", "α", "漢", "字", "é", "ï", "🦙", "🚀"]
UNICODE_PIECES = ["ω", "μ", "ε", "έ", "γ", "α", "é", "ï", "🦙", "🚀"]
SUFFIXES = ["s", "es", "ed", "ing", "er", "ly"]


def vocabulary():
    """(tokens, token types) in phantom-space form."""
    import gguf

    tokens = list(SPECIALS)
    types = [gguf.TokenType.CONTROL] * len(SPECIALS)

    def add(text):
        if text not in tokens:
            tokens.append(text)
            types.append(gguf.TokenType.NORMAL)

    for w in WORDS + LETTERS + DIGITS + PUNCTUATION + UNICODE_WORDS:
        add("\u2581" + w)            # word-initial piece
    for p in SUFFIXES + LETTERS + DIGITS + UNICODE_PIECES:
        add(p)                       # continuation piece ("##p" in a HF vocab.txt)
    return tokens, types


def write_model(path, rerank):
    import numpy as np
    import gguf

    rng = np.random.RandomState(SEED)  # the same weights for both models' shared tensors

    def normal(*shape, std=0.5):
        return (rng.standard_normal(shape) * std).astype(np.float32)

    def norm_pair(n):
        return ((1.0 + rng.standard_normal(n) * 0.1).astype(np.float32),
                (rng.standard_normal(n) * 0.1).astype(np.float32))

    tokens, types = vocabulary()
    arch = gguf.MODEL_ARCH.BERT
    names = gguf.TENSOR_NAMES
    T = gguf.MODEL_TENSOR

    w = gguf.GGUFWriter(path, gguf.MODEL_ARCH_NAMES[arch])
    w.add_name("genaiproxy tiny bert " + ("reranker" if rerank else "embedding") + " (random weights)")
    w.add_context_length(CONTEXT)
    w.add_embedding_length(HIDDEN)
    w.add_feed_forward_length(FFN)
    w.add_block_count(LAYERS)
    w.add_head_count(HEADS)
    w.add_layer_norm_eps(1e-12)
    w.add_causal_attention(False)
    w.add_pooling_type(gguf.PoolingType.RANK if rerank else gguf.PoolingType.MEAN)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)

    w.add_tokenizer_model("bert")
    w.add_tokenizer_pre("default")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_type_count(TOKEN_TYPES)
    w.add_bos_token_id(CLS)   # llama.cpp's WPM: [CLS] text [SEP]
    w.add_sep_token_id(SEP)
    w.add_unk_token_id(UNK)
    w.add_pad_token_id(PAD)
    w.add_mask_token_id(MASK)

    # numpy shapes are ggml's ne reversed: ggml {n_embd, n_vocab} is numpy (n_vocab, n_embd).
    def tensor(kind, suffix, data, bid=None):
        name = names[kind].format(bid=bid) + "." + suffix
        w.add_tensor(name, np.ascontiguousarray(data))

    tensor(T.TOKEN_EMBD, "weight", normal(len(tokens), HIDDEN))
    tensor(T.TOKEN_TYPES, "weight", normal(TOKEN_TYPES, HIDDEN, std=0.1))
    tensor(T.POS_EMBD, "weight", normal(CONTEXT, HIDDEN, std=0.1))
    g, b = norm_pair(HIDDEN)
    tensor(T.TOKEN_EMBD_NORM, "weight", g)
    tensor(T.TOKEN_EMBD_NORM, "bias", b)
    for i in range(LAYERS):
        for kind in (T.ATTN_Q, T.ATTN_K, T.ATTN_V, T.ATTN_OUT):
            tensor(kind, "weight", normal(HIDDEN, HIDDEN, std=HIDDEN ** -0.5), i)
            tensor(kind, "bias", normal(HIDDEN, std=0.05), i)
        g, b = norm_pair(HIDDEN)
        tensor(T.ATTN_OUT_NORM, "weight", g, i)
        tensor(T.ATTN_OUT_NORM, "bias", b, i)
        tensor(T.FFN_UP, "weight", normal(FFN, HIDDEN, std=HIDDEN ** -0.5), i)
        tensor(T.FFN_UP, "bias", normal(FFN, std=0.05), i)
        tensor(T.FFN_DOWN, "weight", normal(HIDDEN, FFN, std=FFN ** -0.5), i)
        tensor(T.FFN_DOWN, "bias", normal(HIDDEN, std=0.05), i)
        g, b = norm_pair(HIDDEN)
        tensor(T.LAYER_OUT_NORM, "weight", g, i)
        tensor(T.LAYER_OUT_NORM, "bias", b, i)
    if rerank:
        # BertForSequenceClassification-style head: score = out(tanh(dense(h[CLS]))), one label.
        tensor(T.CLS, "weight", normal(HIDDEN, HIDDEN, std=HIDDEN ** -0.5))
        tensor(T.CLS, "bias", normal(HIDDEN, std=0.05))
        tensor(T.CLS_OUT, "weight", normal(1, HIDDEN, std=1.0))
        tensor(T.CLS_OUT, "bias", normal(1, std=0.1))

    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "llama", "models"))
    ap.add_argument("--gguf-py", default=os.environ.get(
        "GGUF_PY", os.path.join(ROOT, "build", "llama", "src", "gguf-py")))
    args = ap.parse_args()
    sys.path.insert(0, args.gguf_py)
    try:
        import gguf  # noqa: F401
    except ImportError as e:
        sys.exit(f"make-tiny-models: cannot import gguf-py from {args.gguf_py} ({e}); "
                 "run scripts/build-llama-server.sh first (and install python3-numpy)")
    os.makedirs(args.out, exist_ok=True)
    for name, rerank in (("tiny-embed.gguf", False), ("tiny-rerank.gguf", True)):
        path = os.path.join(args.out, name)
        tmp = path + ".tmp"
        write_model(tmp, rerank)
        os.replace(tmp, path)
        print(f"make-tiny-models: wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
