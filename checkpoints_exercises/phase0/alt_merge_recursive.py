"""Alternative solution (commit 0.2, merge): recursive instead of a while loop. The first two ids
either are the pair (emit new_id, recurse past both) or are not (emit the first, recurse past it):
the same greedy left-to-right rule, stated as a definition. Recursion depth grows with the chunk
length, which is fine for the short chunks BPE works on (Python's limit is ~1000 frames).

    python -m pytest -q --impl=reference --challenge=checkpoints_exercises/phase0/alt_merge_recursive.py \
        --commit=0.2:merge phase0_tokenizer/tests
"""

TARGET = "phase0_tokenizer.bpe"
COMMIT = "0.2"
EXERCISE = "merge"


def merge(ids, pair, new_id):
    """Replace every occurrence of `pair` in `ids` by `new_id`, scanning left to right."""
    if len(ids) < 2:
        return list(ids)
    if (ids[0], ids[1]) == tuple(pair):
        return [new_id] + merge(ids[2:], pair, new_id)
    return [ids[0]] + merge(ids[1:], pair, new_id)
