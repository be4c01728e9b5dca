"""Debugging challenge ★★★ (commit 0.1): on English text the compression numbers look right, but
on text with accents, curly quotes or emoji the tokenizer suddenly seems to compress *better*
than it does. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_chars_per_token.py --commit 0.1
"""

TARGET = "phase0_tokenizer.byte_tokenizer"
COMMIT = "0.1"
EXERCISE = "chars_per_token"


def chars_per_token(text: str, n_tokens: int) -> float:
    """Characters of `text` per token."""
    if n_tokens <= 0:
        raise ValueError(f"n_tokens must be positive, got {n_tokens}")
    return len(text.encode("utf-8")) / n_tokens
