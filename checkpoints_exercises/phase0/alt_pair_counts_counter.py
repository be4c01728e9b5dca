"""Alternative solution (commit 0.2, get_pair_counts): collections.Counter counts the pairs of the
chunk at C speed, then the result is added into the caller's dict. Same counts, a different
strategy: count the chunk on its own first, merge the two tallies second.

    python -m pytest -q --impl=reference --challenge=checkpoints_exercises/phase0/alt_pair_counts_counter.py \
        --commit=0.2:get_pair_counts phase0_tokenizer/tests
"""

TARGET = "phase0_tokenizer.bpe"
COMMIT = "0.2"
EXERCISE = "get_pair_counts"

from collections import Counter  # noqa: E402


def get_pair_counts(ids, counts=None):
    """Count each adjacent pair in `ids`, into `counts` if given."""
    here = Counter(zip(ids, ids[1:]))
    if counts is None:
        return dict(here)
    for pair, n in here.items():
        counts[pair] = counts.get(pair, 0) + n
    return counts
