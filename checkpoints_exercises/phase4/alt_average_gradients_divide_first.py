"""Alternative solution (commit 4.1, average_gradients): each rank divides its gradient by W BEFORE
the sum, so the all_reduce adds numbers already W times smaller (in fp16 that keeps a large sum
from overflowing). Mathematically the same mean; in float32 it differs by a rounding or two."""

TARGET = "phase4_distributed.allreduce"
COMMIT = "4.1"
EXERCISE = "average_gradients"


def average_gradients(model):
    import torch
    import torch.distributed as dist

    with torch.no_grad():
        world = dist.get_world_size()
        for p in model.parameters():
            if p.grad is None:
                continue
            p.grad.div_(world)
            dist.all_reduce(p.grad)  # the default op is SUM
