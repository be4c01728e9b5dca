"""Debugging challenge ★★★ (commit 0.3): decode works on English, but German umlauts and emoji
sometimes come back as "\ufffd\ufffd" although encode is right. Nothing crashes. Find the bug;
which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_decode_per_token.py --commit 0.3
"""

TARGET = "phase0_tokenizer.tokenizer"
COMMIT = "0.3"
EXERCISE = "decode_ids"


def decode_ids(ids, id_to_bytes):
    # decode each token on its own, then join the strings
    return "".join(id_to_bytes[i].decode("utf-8", errors="replace") for i in ids)
