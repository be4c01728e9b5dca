"""Commit 4.1 — data parallelism by hand: average the gradients with all_reduce.

Data parallel training runs the same model on every rank, each on a different slice
of the batch. With a mean loss, the gradient of the whole batch is the mean of the
per-rank gradients (when every rank holds the same number of examples):

    g = 1/B sum_i grad l_i = 1/W sum_r ( 1/b sum_{i in rank r} grad l_i ) = 1/W sum_r g_r

so one collective makes every rank hold g: `all_reduce(SUM)` then divide by W. After
that every rank applies the same update to the same weights and they never drift.
Forget the division and every rank steps W times too far (a debugging challenge).

`average_gradients` sends one message per parameter tensor: simple, but each call has
a fixed latency. `average_gradients_bucketed` flattens all gradients into one buffer
and sends it once — the idea behind DDP's gradient buckets (Li et al., 2020, sec. 3.2.2),
which additionally overlaps those messages with the backward pass.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn


@torch.no_grad()
def average_gradients(model: nn.Module) -> None:
    """Replace every parameter's .grad by its mean over all ranks, one all_reduce per tensor.

    In place (the same .grad tensors, new values); parameters whose .grad is None are skipped.
    """
    # >>> exercise 4.1 average_gradients
    world = dist.get_world_size()
    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad.div_(world)
    # <<< exercise 4.1 average_gradients


@torch.no_grad()
def average_gradients_bucketed(model: nn.Module) -> None:
    """The same result with a single all_reduce: flatten every grad into one buffer, reduce, copy back.

    Exactly one dist.all_reduce call per invocation (none if no parameter has a gradient), whatever
    the number of tensors; grads of None are skipped, as in average_gradients.
    """
    # >>> exercise 4.1 average_gradients_bucketed
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat, op=dist.ReduceOp.SUM)
    flat.div_(dist.get_world_size())
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()
    # <<< exercise 4.1 average_gradients_bucketed


@torch.no_grad()
def broadcast_parameters(model: nn.Module, src: int = 0) -> None:
    """Copy rank `src`'s parameters and buffers to every rank, so all start from the same weights.

    Seeding every rank identically does the same job, but only if nothing rank-dependent
    ran before the model was built; DDP broadcasts at construction for that reason.
    """
    for t in list(model.parameters()) + list(model.buffers()):
        dist.broadcast(t.data, src=src)


def parameters_in_sync(model: nn.Module, atol: float = 0.0) -> bool:
    """True when every rank holds the same parameters (checked with a max/min all_reduce)."""
    flat = torch.cat([p.detach().reshape(-1).float() for p in model.parameters()])
    hi, lo = flat.clone(), flat.clone()
    dist.all_reduce(hi, op=dist.ReduceOp.MAX)
    dist.all_reduce(lo, op=dist.ReduceOp.MIN)
    return bool((hi - lo).abs().max() <= atol)


def main() -> None:
    """torchrun --nproc_per_node=2 -m phase4_distributed.allreduce: train by hand-averaged gradients."""
    import torch.nn.functional as F

    from phase4_distributed.dist import init_distributed, print0, teardown
    ctx = init_distributed()
    if ctx.world_size < 2:
        print("this demo averages gradients across processes: run it under torchrun, e.g.\n"
              "  torchrun --nproc_per_node=2 -m phase4_distributed.allreduce")
        teardown()
        raise SystemExit(2)
    torch.manual_seed(ctx.rank)  # deliberately different inits: broadcast_parameters fixes them
    model = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 1)).to(ctx.device)
    broadcast_parameters(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    g = torch.Generator().manual_seed(1000 + ctx.rank)  # each rank: its own data
    for step in range(50):
        x = torch.randn(32, 16, generator=g).to(ctx.device)
        y = x.sum(dim=1, keepdim=True).sin()
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), y)
        loss.backward()
        average_gradients_bucketed(model)
        opt.step()
        if step % 10 == 0 or step == 49:
            print0(f"step {step:>2}  loss on rank 0's batch {loss.item():.4f}")
    print0(f"{ctx.world_size} ranks ({ctx.backend}); parameters identical on every rank: {parameters_in_sync(model)}")
    teardown()


if __name__ == "__main__":
    main()
