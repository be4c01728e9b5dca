"""Debugging challenge ★★★ (commit 0.1): the byte tokenizer round-trips every sentence you try,
yet sampling from a model crashes now and then with a UnicodeDecodeError. The model did nothing
wrong: any sequence of byte ids is a legal output. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_decode_strict.py --commit 0.1
"""

TARGET = "phase0_tokenizer.byte_tokenizer"
COMMIT = "0.1"
EXERCISE = "decode"
SYMPTOM = "UnicodeDecodeError"


class ByteTokenizer:
    """One token per UTF-8 byte: vocab_size 256, lossless, no training."""

    vocab_size = 256

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: list[int]) -> str:
        return bytes(ids).decode("utf-8")
