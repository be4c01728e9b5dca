"""Debugging challenge ★★★ (commit 2.3): a WSD run with `--min_lr_frac=0.1` ends with the loss
still falling steeply in its last steps, and the final lr logged is 0, not a tenth of the peak.
The cosine run with the same floor is fine. Find the bug; which test catches it?

    python -m tools.challenges debug_wsd_decays_to_zero
"""
# ruff: noqa: F821 (runs inside a copy of phase2_training.schedule: its imports and names are in scope)

TARGET = "phase2_training.schedule"
COMMIT = "2.3"
EXERCISE = "warmup_stable_decay"


def warmup_stable_decay(step, max_lr, warmup_steps, total_steps, decay_steps, min_lr=0.0):
    _check(warmup_steps, total_steps)
    if not 0 <= decay_steps <= total_steps - warmup_steps:
        raise ValueError(f"decay_steps={decay_steps} must be in [0, total_steps - warmup_steps = "
                         f"{total_steps - warmup_steps}]: warmup and decay cannot overlap")
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step <= total_steps - decay_steps:
        return max_lr
    remaining = max(0.0, (total_steps - step) / decay_steps) if decay_steps else 0.0
    return max(min_lr, max_lr * remaining)  # the floor is applied as a clamp at the end
