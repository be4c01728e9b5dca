"""Debugging challenge ★★★ (commit 4.2): with ZeRO-1 on 2 ranks the optimizer memory halved as
promised and the loss still goes down, but the evaluation loss on rank 1 differs from rank 0's,
and a checkpoint (written by rank 0) scores worse than the training loss suggested. Find the bug;
which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase4/debug_zero_forgets_gather.py --commit 4.2
"""

TARGET = "phase4_distributed.zero"
COMMIT = "4.2"
EXERCISE = "zero_all_gather"


def all_gather_params(params, pieces, shard_size, world_size, group=None):
    """Every rank sends its updated shard and receives all the others: full parameters everywhere."""
    # Each rank has updated its own shard in place; the others "will catch up" next step...
    return None
