"""Debugging challenge ★★★ (commit 4.1): on one GPU the checkpoint is fine. On 8 GPUs it is
sometimes truncated, the shared file system crawls at every save, and once a resume loaded a file
that was still being written. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase4/debug_every_rank_saves.py --commit 4.1
"""

TARGET = "phase4_distributed.dist"
COMMIT = "4.1"
EXERCISE = "average_gradients"


def save_on_rank0(obj, path):
    """Rank 0 writes `obj` to `path` (atomically); every rank waits until it is on disk. True on the writer."""
    atomic_save(obj, path)  # noqa: F821 (the module's own atomic_save)
    barrier()  # noqa: F821
    return True
