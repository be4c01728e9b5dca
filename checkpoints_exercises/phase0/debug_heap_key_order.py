"""Debugging challenge ★★★ (commit 0.2): the fast trainer picks the most frequent pair every time,
and on most texts its merges equal the naive trainer's. But now and then, when two pairs are
equally frequent, it learns a different one, so two runs of "the same" tokenizer (naive vs fast,
or ours vs a colleague's) disagree. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_heap_key_order.py --commit 0.2
"""

TARGET = "phase0_tokenizer.bpe_fast"
COMMIT = "0.2"
EXERCISE = "update_chunk"


def heap_key(token):
    """A string that sorts like `token`, so the heap can break ties by bytes."""
    return token.decode("latin-1")
