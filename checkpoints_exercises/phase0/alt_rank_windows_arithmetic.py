"""Alternative solution (commit 0.4, rank_windows): a list of positions computed one by one from
"windows before this step" + "windows of the lower ranks" + k, instead of a range.

    python -m pytest -q --impl=reference --challenge=checkpoints_exercises/phase0/alt_rank_windows_arithmetic.py \
        --commit=0.4:rank_windows phase0_tokenizer/tests
"""

TARGET = "phase0_tokenizer.data"
COMMIT = "0.4"
EXERCISE = "rank_windows"


def rank_windows(step, batch_size, rank, world_size):
    before_step = step * batch_size * world_size
    before_rank = rank * batch_size
    return [before_step + before_rank + k for k in range(batch_size)]
