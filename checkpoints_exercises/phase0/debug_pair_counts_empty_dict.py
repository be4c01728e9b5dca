"""Debugging challenge ★★★ (commit 0.2): get_pair_counts gives the right counts for a chunk, and adds
into a dict you pass it. Yet the trainer built on it learns no merge at all: train_bpe returns {}
on any text. Find the bug; which test catches it? (Hint: what is the truth value of an empty dict?)

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_pair_counts_empty_dict.py \
        --commit 0.2:get_pair_counts
"""

TARGET = "phase0_tokenizer.bpe"
COMMIT = "0.2"
EXERCISE = "get_pair_counts"


def get_pair_counts(ids, counts=None):
    counts = counts or {}  # a fresh dict when none is given
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts
