"""Commit 4.2 — DistributedDataParallel, and gradient accumulation that talks once per step.

allreduce.py averaged gradients after the whole backward pass: the network sits idle
while the CPU/GPU computes, then the CPU/GPU sits idle while the network talks. DDP
(Li et al., 2020) fixes that: it registers a hook on every parameter's gradient,
groups gradients into ~25 MB buckets in reverse order of use, and launches a bucket's
all_reduce as soon as its last gradient is ready — communication overlaps the rest of
the backward pass. It also broadcasts rank 0's weights at construction, so every rank
starts identical.

Gradient accumulation (k micro-batches per optimizer step) must not pay k all-reduces:
gradients only need to be averaged once, after the last micro-batch. DDP's `no_sync()`
context skips the all_reduce while gradients accumulate locally in .grad; the backward
of the last micro-batch, run outside it, reduces the accumulated sum (ADR 017). Then

    W ranks x k micro-batches of b  ==  1 process x (W*k) micro-batches of b

to float rounding, which the tests check (Li et al., 2020, sec. 3.2.4, "gradient accumulation").
FSDP2 offers the same switch as `set_requires_gradient_sync(False)`; `gradient_sync`
hides the difference. The accumulation loop itself is phase 2's train_step: phase 4's
entry hands it `gradient_sync`, and nothing else about the step changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP

from phase4_distributed.dist import DistContext


def wrap_ddp(model: nn.Module, ctx: DistContext, **ddp_kwargs) -> nn.Module:
    """DDP around `model` (already on ctx.device). Single-process: the model itself, unchanged."""
    if not (ctx.is_distributed and dist.is_initialized()):
        return model
    ddp_kwargs.setdefault("gradient_as_bucket_view", True)  # .grad views the buckets: no extra copy of the grads
    device_ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return DDP(model, device_ids=device_ids, **ddp_kwargs)


def unwrap(model: nn.Module) -> nn.Module:
    """The user's model under DDP (.module) and torch.compile (._orig_mod) wrappers: what a checkpoint saves."""
    while True:
        if isinstance(model, DDP):
            model = model.module
        elif hasattr(model, "_orig_mod"):
            model = model._orig_mod
        else:
            return model


@contextmanager
def gradient_sync(model: nn.Module, enabled: bool) -> Iterator[None]:
    """Inside, backward() reduces gradients across ranks only if `enabled`: DDP's no_sync() or FSDP2's
    set_requires_gradient_sync(False) otherwise (switched back on when the block exits, even on an
    error); any other model: no-op. Phase 2's train_step enters it around every micro-batch,
    enabled only on the last one, so accumulation costs one reduction per optimizer step."""
    # >>> exercise 4.2 gradient_sync
    if enabled:
        yield
    elif isinstance(model, DDP):
        with model.no_sync():
            yield
    elif hasattr(model, "set_requires_gradient_sync"):  # an FSDP2 module
        model.set_requires_gradient_sync(False)
        try:
            yield
        finally:
            model.set_requires_gradient_sync(True)
    else:
        yield
    # <<< exercise 4.2 gradient_sync
