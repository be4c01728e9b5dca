"""Alternative solution (commit 2.3, warmup_cosine): the half-cosine (1 + cos(pi p)) / 2 written
as cos^2(pi p / 2) (the half-angle identity), and the progress clamped into [0, 1] on both sides.
The same curve."""
# ruff: noqa: F821 (runs inside a copy of phase2_training.schedule: its imports and names are in scope)

TARGET = "phase2_training.schedule"
COMMIT = "2.3"
EXERCISE = "warmup_cosine"


def warmup_cosine(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    _check(warmup_steps, total_steps)
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    span = total_steps - warmup_steps
    progress = min(1.0, max(0.0, (step - warmup_steps) / span)) if span else 1.0  # no decay: at the floor
    return min_lr + (max_lr - min_lr) * math.cos(0.5 * math.pi * progress) ** 2
