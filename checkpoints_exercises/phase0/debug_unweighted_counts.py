"""Debugging challenge ★★★ (commit 0.2): the fast trainer is fast, its merges look like English,
and on a text where every word occurs once it agrees with the naive trainer. On real text its
vocabulary is worse: chars/token on held-out text drops. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_unweighted_counts.py --commit 0.2
"""

TARGET = "phase0_tokenizer.bpe_fast"
COMMIT = "0.2"
EXERCISE = "update_chunk"


def pair_stats(words, freqs):
    """Pair counts over all chunks, and the index pair -> chunk ids."""
    from collections import defaultdict

    counts = defaultdict(int)
    where = defaultdict(set)
    for wid, word in enumerate(words):
        for pair in zip(word, word[1:]):
            counts[pair] += 1
            where[pair].add(wid)
    return counts, where
