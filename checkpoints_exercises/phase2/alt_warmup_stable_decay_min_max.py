"""Alternative solution (commit 2.3, warmup_stable_decay): no branches after the warmup: the lr is
the linear decay line min + (max - min)(S - t)/D clipped into [min_lr, max_lr] (above max during the
stable stage, below min after the end). The same piecewise-linear curve."""

TARGET = "phase2_training.schedule"
COMMIT = "2.3"
EXERCISE = "warmup_stable_decay"


def warmup_stable_decay(step, max_lr, warmup_steps, total_steps, decay_steps, min_lr=0.0):
    _check(warmup_steps, total_steps)  # noqa: F821 (the module's own check)
    if not 0 <= decay_steps <= total_steps - warmup_steps:
        raise ValueError(f"decay_steps={decay_steps} must be in [0, total_steps - warmup_steps = "
                         f"{total_steps - warmup_steps}]: warmup and decay cannot overlap")
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if decay_steps == 0:
        return max_lr if step <= total_steps else min_lr
    line = min_lr + (max_lr - min_lr) * (total_steps - step) / decay_steps
    return min(max_lr, max(min_lr, line))
