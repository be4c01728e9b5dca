"""Debugging challenge ★★★ (commit 3.3): this loss scaler halves the scale on an overflow but forgets
to restart its count of clean steps, so it can double again right after backing off, and an fp16 run
skips step after step. Which test compares it with torch.amp.GradScaler and catches the difference?"""

import math

import torch

TARGET = "phase3_optim.precision"
COMMIT = "3.3"


class LossScaler:
    """Dynamic loss scaling for fp16, from scratch; the interface of torch.amp.GradScaler:

        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)        # optional: before gradient clipping
        scaler.step(optimizer)            # skipped if a gradient is inf/NaN
        scaler.update()                   # shrink or grow the scale
    """

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True):
        if growth_factor <= 1.0 or not 0.0 < backoff_factor < 1.0 or growth_interval < 1:
            raise ValueError("LossScaler: need growth_factor > 1, 0 < backoff_factor < 1, growth_interval >= 1")
        self.scale_value = float(init_scale)
        self.growth_factor, self.backoff_factor, self.growth_interval = growth_factor, backoff_factor, growth_interval
        self.enabled = enabled
        self.growth_tracker = 0             # clean steps since the last change of scale
        self._found_inf: dict[int, bool] = {}  # id(optimizer) -> inf seen this iteration (unscaled already)

    def get_scale(self) -> float:
        return self.scale_value if self.enabled else 1.0

    def scale(self, loss: torch.Tensor) -> torch.Tensor:
        return loss * self.scale_value if self.enabled else loss

    def unscale_(self, optimizer: torch.optim.Optimizer) -> bool:
        """Divide every gradient of `optimizer` by the scale, in place; return True if any is inf/NaN."""
        if not self.enabled:
            return False
        if id(optimizer) in self._found_inf:
            raise RuntimeError("unscale_() was already called on this optimizer since the last update()")
        inv_scale = 1.0 / self.scale_value
        found_inf = False
        for group in optimizer.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.grad.mul_(inv_scale)
                found_inf = found_inf or not bool(torch.isfinite(p.grad).all())
        self._found_inf[id(optimizer)] = found_inf
        return found_inf

    def step(self, optimizer: torch.optim.Optimizer, *args, **kwargs):
        """optimizer.step() unless a gradient overflowed (then the step is skipped and None returned)."""
        if not self.enabled:
            return optimizer.step(*args, **kwargs)
        if id(optimizer) not in self._found_inf:
            self.unscale_(optimizer)
        if self._found_inf[id(optimizer)]:
            return None
        return optimizer.step(*args, **kwargs)

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
            raise FloatingPointError(f"loss scale became {self.scale_value}: the loss itself is inf/NaN, "
                                     "not just its gradients; lower the lr or check the data")

    def state_dict(self) -> dict:
        return {"scale": self.scale_value, "growth_tracker": self.growth_tracker}

    def load_state_dict(self, state: dict) -> None:
        self.scale_value, self.growth_tracker = float(state["scale"]), int(state["growth_tracker"])
