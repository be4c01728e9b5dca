"""Bytes as the base vocabulary, and the two numbers that measure any tokenizer.

Commit 0.1. A language model reads a sequence of integers, so text must become ids.
Three obvious choices of unit, and what each costs:

- word: short sequences, but the vocabulary is open-ended: every held-out text brings
  words never seen in training (out-of-vocabulary, OOV), which a word model cannot emit;
- char: ~100-150k Unicode code points, most of them rare; still OOV on a new script or emoji;
- byte: encode the text as UTF-8 (Unicode Standard, ch. 3; RFC 3629) and use the 256
  byte values as tokens. Vocabulary fixed at 256, OOV impossible, any string round-trips,
  at the price of the longest sequences (an ASCII letter is 1 byte, "é" 2, "€" 3, "😀" 4).

GPT-2 (Radford et al. 2019, section 2.2) takes the byte route and then *shortens* byte
sequences with BPE merges (commits 0.2-0.3). This module is the starting point: the
ByteTokenizer, the compression metrics (chars/token, bytes/token) every later tokenizer
is judged by, and a side-by-side of byte, char and word vocabularies:

    python -m phase0_tokenizer.byte_tokenizer --corpus asv --max-bytes 1000000
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "Words" for the word-level comparison: runs of letters/digits, or one punctuation mark.
# Whitespace is dropped, so a word vocabulary is not even lossless; bytes and chars are.
WORD_RE = re.compile(r"\w+|[^\w\s]")
LEVELS = ("byte", "char", "word")


class ByteTokenizer:
    """One token per UTF-8 byte: vocab_size 256, lossless, no training. BPE starts from these 256 ids."""

    vocab_size = 256

    def encode(self, text: str) -> list[int]:
        """text -> its UTF-8 bytes as a list of Python ints in [0, 256). "é" is two tokens: [195, 169]."""
        return list(text.encode("utf-8"))

    def decode(self, ids: list[int]) -> str:
        """ids -> text. Never crashes on a valid id list: bytes that are not valid UTF-8 (a model
        can emit half a character) become the replacement character U+FFFD."""
        return bytes(ids).decode("utf-8", errors="replace")


def _check_count(n_tokens: int) -> None:
    if n_tokens <= 0:
        raise ValueError(f"n_tokens must be positive, got {n_tokens}: compression of an empty encoding is undefined")


def bytes_per_token(text: str, n_tokens: int) -> float:
    """UTF-8 bytes of `text` per token; 1.0 for the ByteTokenizer, ~4 for GPT-2 on English.
    It does not depend on how the text is split into characters, so it compares tokenizers across languages."""
    _check_count(n_tokens)
    return len(text.encode("utf-8")) / n_tokens


def chars_per_token(text: str, n_tokens: int) -> float:
    """Characters (Unicode code points) of `text` per token: the phase-0 checkpoint asks >= 4.0 held out."""
    _check_count(n_tokens)
    return len(text) / n_tokens


@dataclass(frozen=True)
class VocabStats:
    level: str          # "byte", "char" or "word"
    vocab_size: int     # distinct units the model must know
    train_len: int      # sequence length of the training text at this level
    heldout_len: int    # sequence length of the held-out text
    oov_rate: float     # share of held-out units missing from the vocabulary


def vocabulary_stats(train_text: str, heldout_text: str) -> list[VocabStats]:
    """Byte vs char vs word (ADR 001, "Context"): what each choice of unit costs, measured.

    Returns one VocabStats per level, in the order of LEVELS ("byte", "char", "word"). At each level
    the text is a sequence of units:
      byte: the UTF-8 bytes of the text, as ints 0..255;
      char: its characters (Unicode code points), as 1-character strings;
      word: the matches of WORD_RE (runs of letters/digits, or one punctuation mark; whitespace dropped).
    For each level:
      vocab_size  = number of distinct units the model must know: all 256 byte values for "byte" (by
                    construction, whatever the training text holds), else the distinct units of train_text;
      train_len, heldout_len = number of units in train_text / heldout_text;
      oov_rate    = (held-out units not in that vocabulary) / heldout_len, counting repeats; 0.0 when
                    heldout_text has no units. So the byte level is 0.0 always.
    Either text may be empty.
    """
    # >>> exercise 0.1 vocabulary_stats
    stats = []
    for level in LEVELS:
        if level == "byte":
            train_units, heldout_units = list(train_text.encode("utf-8")), list(heldout_text.encode("utf-8"))
            vocab = set(range(256))  # every byte value exists up front: nothing is ever out of vocabulary
        elif level == "char":
            train_units, heldout_units = list(train_text), list(heldout_text)
            vocab = set(train_units)
        else:
            train_units, heldout_units = WORD_RE.findall(train_text), WORD_RE.findall(heldout_text)
            vocab = set(train_units)
        unknown = sum(unit not in vocab for unit in heldout_units)  # repeats count: a rate over the text
        oov = unknown / len(heldout_units) if heldout_units else 0.0
        stats.append(VocabStats(level, len(vocab), len(train_units), len(heldout_units), oov))
    return stats
    # <<< exercise 0.1 vocabulary_stats


def format_stats(stats: list[VocabStats], heldout_text: str) -> str:
    """A plain-text table of vocabulary_stats, with chars/token on the held-out text."""
    rows = [f"{'level':6s} {'vocab':>8s} {'train len':>10s} {'held-out len':>12s} {'OOV':>7s} {'chars/token':>11s}"]
    for s in stats:
        cpt = chars_per_token(heldout_text, s.heldout_len) if s.heldout_len else float("nan")
        rows.append(f"{s.level:6s} {s.vocab_size:8,d} {s.train_len:10,d} {s.heldout_len:12,d} "
                    f"{s.oov_rate:7.2%} {cpt:11.3f}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    import argparse

    from phase0_tokenizer.corpus import DEFAULT_CORPUS, load_corpus
    parser = argparse.ArgumentParser(description="Compare byte, char and word vocabularies on a corpus.")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--max-bytes", type=int, default=1_000_000)
    parser.add_argument("--heldout", type=float, default=0.1, help="fraction of the text held out (the end)")
    args = parser.parse_args(argv)
    text = load_corpus(args.corpus, max_bytes=args.max_bytes)
    cut = int(len(text) * (1 - args.heldout))
    train, heldout = text[:cut], text[cut:]
    print(f"{args.corpus}: {len(text):,} chars, {len(text.encode('utf-8')):,} bytes; "
          f"held out: the last {args.heldout:.0%}")
    print(format_stats(vocabulary_stats(train, heldout), heldout))


if __name__ == "__main__":
    main()
