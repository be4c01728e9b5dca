"""Debugging challenge ★★★ (commit 2.3): `--dtype=bf16` trains exactly as fast as float32 and
the profiler shows every matmul in float32; memory use did not drop either. The config and
phase 3's autocast factory are right. Find the bug; which test catches it?

    python -m tools.challenges debug_accumulate_ignores_autocast
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
    for i, (x, y) in enumerate(micro_batches):
        with grad_sync(model, i == n - 1):
            _, loss = model(x, y)  # "autocast is the trainer's business, set up once outside"
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
