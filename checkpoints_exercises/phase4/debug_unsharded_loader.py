"""Debugging challenge ★★★ (commit 4.1): going from 1 to 4 processes made training 4x faster in
tokens per second, yet the loss curve per step is exactly the one-process curve, and the run
overfits as if the data set were 4x smaller. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase4/debug_unsharded_loader.py --commit 4.1
"""

TARGET = "phase4_distributed.dist"
COMMIT = "4.1"
EXERCISE = "average_gradients"


def rank_loader(data, batch_size, block_size, ctx=None, **kwargs):
    """Phase 0's SequentialLoader, sharded by rank: each rank reads its own windows, none read twice."""
    from phase0_tokenizer.data import SequentialLoader
    kwargs.setdefault("device", "cpu" if ctx is None else ctx.device)
    return SequentialLoader(data, batch_size, block_size, **kwargs)
