"""Alternative solution (commit 0.3, encode_chunk): merge ONE occurrence at a time, as tiktoken's
byte_pair_merge does: find the adjacent pair with the lowest rank (the leftmost if it occurs more
than once), replace just that pair, look again. It gives the same ids as merging every occurrence
at once, because every pair the new token forms has a higher rank than the pair just merged (it
was learned later), so the same pair stays the minimum until its last occurrence is gone.

    python -m pytest -q --impl=reference \
        --challenge=checkpoints_exercises/phase0/alt_encode_chunk_one_at_a_time.py \
        --commit=0.3:encode_chunk phase0_tokenizer/tests
"""

TARGET = "phase0_tokenizer.tokenizer"
COMMIT = "0.3"
EXERCISE = "encode_chunk"


def encode_chunk(ids, merges):
    parts = list(ids)
    while True:
        best_i, best_rank = -1, None
        for i in range(len(parts) - 1):
            rank = merges.get((parts[i], parts[i + 1]))
            if rank is not None and (best_rank is None or rank < best_rank):
                best_i, best_rank = i, rank
        if best_rank is None:
            return parts
        parts[best_i:best_i + 2] = [best_rank]
