"""Debugging challenge ★★★ (commit 3.3): this loss scaler halves the scale on an overflow but forgets
to restart its count of clean steps, so it can double again right after backing off, and an fp16 run
skips step after step. Which test compares it with torch.amp.GradScaler and catches the difference?

The challenge replaces one method: it runs inside a fresh copy of phase3_optim.precision, so
`LossScaler` below is that copy's class and the reference module is untouched."""

import math

TARGET = "phase3_optim.precision"
COMMIT = "3.3"
EXERCISE = "update_scale"


def update(self) -> None:
    """After the step(s) of one iteration: back off on an overflow, grow after growth_interval clean steps."""
    if not self.enabled:
        return
    found_inf = any(self._found_inf.values())
    self._found_inf.clear()
    if found_inf:
        self.scale_value *= self.backoff_factor  # the bug: growth_tracker keeps counting
    else:
        self.growth_tracker += 1
        if self.growth_tracker == self.growth_interval:
            self.scale_value *= self.growth_factor
            self.growth_tracker = 0
    if not math.isfinite(self.scale_value) or self.scale_value == 0.0:
        raise FloatingPointError(f"loss scale became {self.scale_value}: the loss itself is inf/NaN")


LossScaler.update = update  # noqa: F821 (LossScaler is the copy's class, defined before this runs)
