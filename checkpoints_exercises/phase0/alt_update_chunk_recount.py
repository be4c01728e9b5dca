"""Alternative solution (commit 0.2, update_chunk): instead of patching the three neighbour pairs
of each occurrence, take the chunk's pair counts out of `counts` entirely, merge the chunk with
`merge`, and put the new chunk's pair counts back. Simpler to get right, a little slower (it
touches every pair of the chunk, not just the neighbours), and the same counts afterwards.

    python -m pytest -q --impl=reference --challenge=checkpoints_exercises/phase0/alt_update_chunk_recount.py \
        --commit=0.2:update_chunk phase0_tokenizer/tests
"""

TARGET = "phase0_tokenizer.bpe_fast"
COMMIT = "0.2"
EXERCISE = "update_chunk"


def update_chunk(word, pair, new_id, freq, counts):
    from phase0_tokenizer.bpe import merge

    new = merge(word, pair, new_id)
    if len(new) == len(word):
        return word  # the pair is not in this chunk (any more): nothing changes
    for p in zip(word, word[1:]):
        counts[p] -= freq
    for p in zip(new, new[1:]):
        counts[p] += freq
    return new
