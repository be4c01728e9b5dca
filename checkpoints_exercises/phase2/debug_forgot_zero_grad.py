"""Debugging challenge ★★★ (commit 2.3): the loss falls for a while, then training turns erratic;
with SGD it diverges outright. Gradient accumulation looks right: one step over four micro-batches
equals one step over the big batch. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase2/debug_forgot_zero_grad.py --commit 2.3
"""

TARGET = "phase2_training.step"
COMMIT = "2.3"
EXERCISE = "accumulate"


def train_step(model, optimizer, micro_batches, grad_clip=0.0, autocast=None, scaler=None, grad_sync=None):
    import contextlib
    import math

    import torch

    autocast = autocast or contextlib.nullcontext
    n = len(micro_batches)
    if n == 0:
        raise ValueError("train_step needs at least one (x, y) micro-batch")
    total = torch.zeros((), device=micro_batches[0][0].device)
    for i, (x, y) in enumerate(micro_batches):
        with (grad_sync or no_grad_sync)(model, i == n - 1):  # noqa: F821 (defined in the target module)
            with autocast():
                _, loss = model(x, y)
            total += loss.detach().float()
            (loss / n).backward()
    loss_value = (total / n).item()
    if not math.isfinite(loss_value):
        raise NonFiniteLossError(f"loss is {loss_value}")  # noqa: F821
    grad_norm = None
    if grad_clip > 0:
        grad_norm = clip_grad_norm([p for g in optimizer.param_groups for p in g["params"]], grad_clip).item()  # noqa: F821
    optimizer.step()
    return StepResult(loss_value, grad_norm)  # noqa: F821
