"""Debugging challenge ★★★ (commit 0.2): the tokenizer trains and round-trips every sentence, but
on text with runs ("aaaa", "....", "====") a few merges come out different from the reference, and
a model trained on its tokens sees "==" split differently from the tokenizer you ship. `merge`
passes a test like merge([1, 2, 3, 1, 2], (1, 2), 256) == [256, 3, 256]. Find the bug; which test
catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_merge_overlap.py --commit 0.2
"""

TARGET = "phase0_tokenizer.bpe"
COMMIT = "0.2"
EXERCISE = "merge"


def merge(ids, pair, new_id):
    """Replace every occurrence of `pair` in `ids` by `new_id`."""
    out = []
    i = len(ids) - 1
    while i >= 0:  # walk from the end: a pair ends at i when ids[i-1], ids[i] == pair
        if i > 0 and ids[i - 1] == pair[0] and ids[i] == pair[1]:
            out.append(new_id)
            i -= 2
        else:
            out.append(ids[i])
            i -= 1
    return out[::-1]
