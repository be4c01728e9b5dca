"""Debugging challenge ★★★ (commit 0.4): with torchrun on 4 GPUs the run is 4x faster per step but
learns no faster than on one GPU: at equal steps its loss is no better than the 1-GPU run's.
Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_loader_same_windows.py --commit 0.4
"""

TARGET = "phase0_tokenizer.data"
COMMIT = "0.4"
EXERCISE = "rank_windows"


def rank_windows(step, batch_size, rank, world_size):
    first = step * world_size * batch_size  # each step moves past everyone's windows
    return range(first, first + batch_size)
