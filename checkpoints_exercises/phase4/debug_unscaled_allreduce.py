"""Debugging challenge ★★★ (commit 4.1): two ranks train, their weights stay identical, the loss
goes down... but not like the single-process run: on 2 ranks it behaves as if the learning rate
doubled, on 8 ranks it diverges. (With Adam you might not notice at all: why?) Find the bug;
which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase4/debug_unscaled_allreduce.py --commit 4.1
"""

TARGET = "phase4_distributed.allreduce"
COMMIT = "4.1"
EXERCISE = "average_gradients"


def average_gradients(model):
    """Replace every parameter's .grad by its mean over all ranks, one all_reduce per tensor."""
    import torch
    import torch.distributed as dist

    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
