"""Alternative solution (commit 0.2, merge): recursion instead of a while loop.

The reference walks an index once and appends to `out`. This version says the same thing as a
definition: the merged list is everything before the first occurrence of `pair`, then `new_id`,
then the merge of what follows the occurrence. Taking the *first* occurrence each time is what
makes overlapping runs merge from the left ([7, 7, 7] -> [256, 7]). It recurses once per
occurrence, so on a whole corpus Python's recursion limit (about 1000 occurrences) would stop
it: a correct definition, not a production one. `make check-alternatives` proves it passes
every learner check of exercise 0.2 merge.
"""

TARGET = "phase0_tokenizer.bpe"
COMMIT = "0.2"
EXERCISE = "merge"


def merge(ids, pair, new_id):
    ids = list(ids)
    for i in range(len(ids) - 1):
        if ids[i] == pair[0] and ids[i + 1] == pair[1]:
            return ids[:i] + [new_id] + merge(ids[i + 2:], pair, new_id)
    return ids
