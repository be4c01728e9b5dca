"""Debugging challenge ★★★ (commit 3.3): after growing the scale, this loss scaler keeps its count of
clean steps. On a run that overflows right after each growth you would never notice; on a clean run the
scale doubles on every step after the first growth, until fp16 overflows. Which test follows
torch.amp.GradScaler's scale *and* its growth tracker step by step?

The challenge replaces one method inside a fresh copy of phase3_optim.precision (see CONTRIBUTING)."""

import math

TARGET = "phase3_optim.precision"
COMMIT = "3.3"
EXERCISE = "update_scale"


def update(self) -> None:
    if not self.enabled:
        return
    found_inf = any(self._found_inf.values())
    self._found_inf.clear()
    if found_inf:
        self.scale_value *= self.backoff_factor
        self.growth_tracker = 0
    else:
        self.growth_tracker += 1
        if self.growth_tracker >= self.growth_interval:
            self.scale_value *= self.growth_factor  # the bug: the count is not restarted
    if not math.isfinite(self.scale_value) or self.scale_value == 0.0:
        raise FloatingPointError(f"loss scale became {self.scale_value}: the loss itself is inf/NaN")


LossScaler.update = update  # noqa: F821 (LossScaler is the copy's class, defined before this runs)
