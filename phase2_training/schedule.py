"""Learning-rate schedules: linear warmup, then cosine decay or warmup-stable-decay (WSD).

Adam's first steps use second-moment estimates built from one or two
gradients, so a full learning rate at step 0 can throw a fresh model far off;
a short linear *warmup* avoids that (Goyal et al. 2017; every GPT recipe).
After warmup, two ways to come down:

- cosine (Loshchilov & Hutter 2017, SGDR, eq. 5 without restarts):
      lr(t) = min_lr + (max_lr - min_lr) * (1 + cos(pi * p)) / 2,  p = (t - warmup) / (total - warmup)
  GPT-2/3, nanoGPT. Needs the run length up front: the whole curve stretches with it.
- warmup-stable-decay (Hu et al. 2024, MiniCPM; nanochat's "warmdown"):
      max_lr until the last `decay_steps`, then straight down to min_lr at t = total.
  The long constant stretch can be branched from: continue it, or decay from any
  checkpoint to get a finished model, without knowing the length in advance.

Steps count from 0; `total_steps` is the number of optimizer steps. Each schedule
returns the learning rate for the step about to be taken (ADR 011).
"""

from __future__ import annotations

import math

SCHEDULES = ("cosine", "wsd", "constant")


def _check(warmup_steps: int, total_steps: int) -> None:
    if total_steps < 1 or not 0 <= warmup_steps <= total_steps:
        raise ValueError(f"need 0 <= warmup_steps <= total_steps and total_steps >= 1, "
                         f"got warmup_steps={warmup_steps}, total_steps={total_steps}")


def warmup_cosine(step: int, max_lr: float, warmup_steps: int, total_steps: int, min_lr: float = 0.0) -> float:
    """Linear warmup to max_lr over warmup_steps, then cosine down to min_lr at total_steps (min_lr after)."""
    _check(warmup_steps, total_steps)
    # >>> exercise 2.3 warmup_cosine
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps  # step 0 already moves: lr > 0
    span = total_steps - warmup_steps
    progress = 1.0 if span == 0 else min(1.0, (step - warmup_steps) / span)
    return min_lr + (max_lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))
    # <<< exercise 2.3 warmup_cosine


def warmup_stable_decay(step: int, max_lr: float, warmup_steps: int, total_steps: int, decay_steps: int,
                        min_lr: float = 0.0) -> float:
    """Linear warmup, max_lr until total_steps - decay_steps, then linear down to min_lr at total_steps;
    min_lr after total_steps (also with decay_steps=0: an instant drop, no division by zero)."""
    _check(warmup_steps, total_steps)
    if not 0 <= decay_steps <= total_steps - warmup_steps:
        raise ValueError(f"decay_steps={decay_steps} must be in [0, total_steps - warmup_steps = "
                         f"{total_steps - warmup_steps}]: warmup and decay cannot overlap")
    # >>> exercise 2.3 warmup_stable_decay
    if step < warmup_steps:
        return max_lr * (step + 1) / warmup_steps
    if step <= total_steps - decay_steps:
        return max_lr
    remaining = max(0.0, (total_steps - step) / decay_steps) if decay_steps else 0.0  # 1 -> 0 across the decay
    return min_lr + (max_lr - min_lr) * remaining
    # <<< exercise 2.3 warmup_stable_decay


def wsd_decay_steps(total_steps: int, warmup_steps: int, decay_frac: float) -> int:
    """WSD's decay length for a run: decay_frac of it, but never reaching into the warmup."""
    return min(round(decay_frac * total_steps), total_steps - warmup_steps)


def lr_multiplier(step: int, schedule: str, warmup_steps: int, total_steps: int, min_lr_frac: float = 0.0,
                  decay_frac: float = 0.2) -> float:
    """The schedule as a factor in [min_lr_frac, 1] on each param group's base lr.

    A factor rather than an lr, so optimizers with several groups at different base rates
    (AdamW for embeddings + Muon for matrices, phase 3) share one schedule, as nanochat does.
    """
    if schedule == "cosine":
        return warmup_cosine(step, 1.0, warmup_steps, total_steps, min_lr_frac)
    if schedule == "wsd":
        return warmup_stable_decay(step, 1.0, warmup_steps, total_steps,
                                   wsd_decay_steps(total_steps, warmup_steps, decay_frac), min_lr_frac)
    if schedule == "constant":
        _check(warmup_steps, total_steps)
        return (step + 1) / warmup_steps if step < warmup_steps else 1.0
    raise ValueError(f"schedule={schedule!r}: choose one of {', '.join(SCHEDULES)}")


def set_lr(optimizer, multiplier: float) -> None:
    """group['lr'] = group['initial_lr'] * multiplier for every group (initial_lr recorded on first call)."""
    for group in optimizer.param_groups:
        group.setdefault("initial_lr", group["lr"])
        group["lr"] = group["initial_lr"] * multiplier
