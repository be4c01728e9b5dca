"""Debugging challenge ★★★ (commit 0.3): a model with a bigger embedding than the tokenizer samples
an id the tokenizer does not have. Nothing complains: the generated text just has a word missing,
and nobody notices the mismatch until much later. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_decode_ids_skip_unknown.py \
        --commit 0.3:decode_ids
"""

TARGET = "phase0_tokenizer.tokenizer"
COMMIT = "0.3"
EXERCISE = "decode_ids"


def decode_ids(ids, id_to_bytes):
    return b"".join(id_to_bytes.get(i, b"") for i in ids).decode("utf-8", errors="replace")
