"""Debugging challenge ★★★ (commit 0.4): on plain ASCII English, bits per byte agrees with a
hand computation; on French, emoji or Japanese text it comes out worse than the model's loss per
token suggests, and a few tokens seem to cost nothing at all. The length of a token is taken as the
length of its text. Find the bug; which test catches it?

    python -m tools.challenges debug_token_bytes_counts_characters
"""

TARGET = "phase0_tokenizer.data"
COMMIT = "0.4"
EXERCISE = "token_bytes"

import torch  # noqa: E402


def token_bytes(tokenizer):
    out = torch.zeros(tokenizer.vocab_size, dtype=torch.int64)
    for token_id, piece in tokenizer.vocab.items():
        out[token_id] = len(piece.decode("utf-8", errors="ignore"))  # the token's text, one per character
    return out
