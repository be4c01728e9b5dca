# Learner stub GENERATED from phase2_training/step.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""One optimizer step: gradient accumulation, clipping and a NaN guard.

A batch too big for memory is split into `n` micro-batches. Gradients add up
across backward() calls, so running each micro-batch and calling backward on
loss_i / n leaves in .grad exactly the gradient of the mean loss over the big
batch (when micro-batches are equally sized, as ours are):

    grad( (1/n) sum_i L_i ) = sum_i grad(L_i / n)

Three classic bugs live here, each caught by a test (checkpoints_exercises/phase2):
forgetting zero_grad (last step's gradient leaks into this one), forgetting the
1/n (the gradient is n times too big: invisible with Adam at first, fatal with
SGD or clipping), and stepping on a nan (one inf in the loss poisons every weight).

This is the one training step of the course: the trainer, the profiler and the
scaling tool all call it. What later phases add comes in as arguments, never as
imports: `autocast` (a bf16/fp16 context), `scaler` (phase 3's fp16 loss scaler:
scale/unscale_/step/update) and `grad_sync(model, enabled)` (phase 4's context that
lets DDP or FSDP2 reduce gradients only on the last micro-batch: one reduction per
optimizer step).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from phase2_training.clipping import clip_grad_norm


class NonFiniteLossError(FloatingPointError):
    """The loss or the gradient norm became nan/inf; the optimizer step was NOT taken."""


@dataclass
class StepResult:
    loss: float                 # mean loss over the micro-batches (before the update)
    grad_norm: float | None     # global gradient norm before clipping (None when not clipping)


def no_grad_sync(model, enabled: bool) -> contextlib.AbstractContextManager:
    """One process: nothing to synchronise (phase 4 passes its gradient_sync instead)."""
    return contextlib.nullcontext()


def train_step(model, optimizer, micro_batches: Sequence[tuple[torch.Tensor, torch.Tensor]],
               grad_clip: float = 0.0, autocast: Callable[[], contextlib.AbstractContextManager] | None = None,
               scaler=None, grad_sync: Callable = no_grad_sync) -> StepResult:
    """One optimizer step over `micro_batches` [(x, y), ...] of equal size; returns the mean loss.

    model(x, y) must return (logits, mean loss). The gradients start from zero (optimizer.zero_grad)
    and end as those of the mean loss over all micro-batches. For each micro-batch: the forward
    runs inside `autocast()`; the backward runs on loss / n, passed through `scaler.scale(...)` when
    a scaler is given; forward and backward both run inside `grad_sync(model, enabled)`, entered
    once per micro-batch and enabled only on the last. grad_clip > 0 clips the global grad norm.
    Raises NonFiniteLossError, with the parameters untouched, if the loss is nan/inf
    (or the gradient norm, when no scaler handles that by skipping the step).
    """
    autocast = autocast or contextlib.nullcontext
    n = len(micro_batches)
    if n == 0:
        raise ValueError("train_step needs at least one (x, y) micro-batch")
    # >>> exercise 2.3 accumulate
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=2.3:accumulate
    raise NotImplementedError("exercise 2.3 accumulate")
    # <<< exercise 2.3 accumulate
    loss_value = mean_loss.item()  # one host sync per step; we log it anyway
    if not math.isfinite(loss_value):
        raise NonFiniteLossError(f"loss is {loss_value}")
    grad_norm = None
    if grad_clip > 0:
        if scaler is not None:
            scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones
        grad_norm = clip_grad_norm([p for g in optimizer.param_groups for p in g["params"]], grad_clip).item()
        if not math.isfinite(grad_norm) and scaler is None:
            raise NonFiniteLossError(f"gradient norm is {grad_norm} (loss {loss_value:.4f})")
    if scaler is not None:
        scaler.step(optimizer)  # skips the step itself when it finds inf/nan gradients
        scaler.update()
    else:
        optimizer.step()
    return StepResult(loss_value, grad_norm)
