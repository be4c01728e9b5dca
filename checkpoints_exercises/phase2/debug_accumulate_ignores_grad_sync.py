"""Debugging challenge ★★★ (commit 2.3): on one GPU nothing changed. Under torchrun with 8
micro-batches per step, the 8-GPU run gives the same losses as before but each step costs almost
8x the communication: DDP all-reduces after every micro-batch. Phase 4's gradient_sync is right.
Find the bug; which test catches it?

    python -m tools.challenges debug_accumulate_ignores_grad_sync
"""
# ruff: noqa: F821 (runs inside a copy of phase2_training.step: its imports and names are in scope)

TARGET = "phase2_training.step"
COMMIT = "2.3"
EXERCISE = "accumulate"


def train_step(model, optimizer, micro_batches, grad_clip=0.0, autocast=None, scaler=None, grad_sync=no_grad_sync):
    autocast = autocast or contextlib.nullcontext
    n = len(micro_batches)
    if n == 0:
        raise ValueError("train_step needs at least one (x, y) micro-batch")
    optimizer.zero_grad(set_to_none=True)
    total = torch.zeros((), device=micro_batches[0][0].device)
    for x, y in micro_batches:
        # "DDP reduces the gradients in backward() anyway": grad_sync is never entered
        with autocast():
            _, loss = model(x, y)
        total += loss.detach().float()
        loss = loss / n
        (scaler.scale(loss) if scaler is not None else loss).backward()
    mean_loss = total / n
    loss_value = mean_loss.item()
    if not math.isfinite(loss_value):
        raise NonFiniteLossError(f"loss is {loss_value}")
    grad_norm = None
    if grad_clip > 0:
        if scaler is not None:
            scaler.unscale_(optimizer)
        grad_norm = clip_grad_norm([p for g in optimizer.param_groups for p in g["params"]], grad_clip).item()
        if not math.isfinite(grad_norm) and scaler is None:
            raise NonFiniteLossError(f"gradient norm is {grad_norm} (loss {loss_value:.4f})")
    if scaler is not None:
        scaler.step(optimizer)
        scaler.update()
    else:
        optimizer.step()
    return StepResult(loss_value, grad_norm)
