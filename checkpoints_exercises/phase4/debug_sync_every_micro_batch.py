"""Debugging challenge ★★★ (commit 4.2): the loss curve on 8 GPUs matches the single-GPU run
exactly, and yet raising gradient accumulation from 1 to 8 made each step almost 8x slower
instead of ~1x per micro-batch. The profiler shows the network busy all the time. Find the bug;
which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase4/debug_sync_every_micro_batch.py --commit 4.2
"""

TARGET = "phase4_distributed.ddp"
COMMIT = "4.2"
EXERCISE = "gradient_sync"


@contextmanager  # noqa: F821 (the module's own import)
def gradient_sync(model, enabled):
    """Inside, backward() reduces gradients across ranks only if `enabled` (DDP, FSDP2; else no-op)."""
    yield  # "DDP syncs the gradients anyway, so there is nothing to switch"
