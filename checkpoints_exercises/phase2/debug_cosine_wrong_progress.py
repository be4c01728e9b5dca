"""Debugging challenge ★★★ (commit 2.3): the learning-rate plot rises during warmup, then follows a
cosine, but the run ends with the learning rate still well above min_lr: the final "annealing"
that gives the last drop in loss never happens. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase2/debug_cosine_wrong_progress.py --commit 2.3
"""

TARGET = "phase2_training.schedule"
COMMIT = "2.3"
EXERCISE = "warmup_cosine"


def warmup_cosine(step, max_lr, warmup_steps, total_steps, min_lr=0.0):
    import math

    _check(warmup_steps, total_steps)  # noqa: F821 (defined in the target module)
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    progress = min(1.0, (step - warmup_steps) / total_steps)  # divides by the whole run, not the decay
    return min_lr + (max_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))
