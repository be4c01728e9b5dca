"""Debugging challenge ★★★ (commit 4.1): the bucketed average gives exactly the same weights as the
per-tensor one, and training matches one process. But on a real network it is no faster: the
profiler shows one all_reduce per parameter tensor, each paying the full latency. Find the bug;
which test catches it?

    python -m tools.challenges debug_bucketed_one_message_per_tensor
"""

TARGET = "phase4_distributed.allreduce"
COMMIT = "4.1"
EXERCISE = "average_gradients_bucketed"


def average_gradients_bucketed(model):
    import torch
    import torch.distributed as dist

    with torch.no_grad():
        grads = [p.grad for p in model.parameters() if p.grad is not None]
        world = dist.get_world_size()
        for g in grads:  # "flattened" one tensor at a time: a bucket per tensor is no bucket
            flat = g.reshape(-1).clone()
            dist.all_reduce(flat, op=dist.ReduceOp.SUM)
            g.copy_(flat.div_(world).view_as(g))
