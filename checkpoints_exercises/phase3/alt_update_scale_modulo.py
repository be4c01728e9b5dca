"""Alternative solution (commit 3.3, update_scale): the clean-step count kept modulo growth_interval,
so it wraps to 0 by itself and the scale grows exactly when it wraps; an overflow still resets it.
The same (scale, growth_tracker) sequence as torch.amp.GradScaler.

The alternative replaces one method inside a fresh copy of phase3_optim.precision (see CONTRIBUTING)."""

import math

TARGET = "phase3_optim.precision"
COMMIT = "3.3"
EXERCISE = "update_scale"


def update(self) -> None:
    if not self.enabled:
        return
    found_inf = any(self._found_inf.values())
    self._found_inf.clear()
    self.growth_tracker = 0 if found_inf else (self.growth_tracker + 1) % self.growth_interval
    if found_inf:
        self.scale_value *= self.backoff_factor
    elif self.growth_tracker == 0:  # just wrapped: growth_interval clean steps in a row
        self.scale_value *= self.growth_factor
    if not math.isfinite(self.scale_value) or self.scale_value == 0.0:
        raise FloatingPointError(f"loss scale became {self.scale_value}: the loss itself is inf/NaN")


LossScaler.update = update  # noqa: F821 (LossScaler is the copy's class, defined before this runs)
