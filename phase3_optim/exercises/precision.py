# Learner stub GENERATED from phase3_optim/precision.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""Mixed precision: bf16 autocast, fp16 with a dynamic loss scaler, and a torch.compile switch (commit 3.3).

What this teaches (Micikevicius et al. 2017, "Mixed Precision Training", arXiv:1710.03740):
keep a float32 master copy of the weights and run the matmuls in 16 bits.
`torch.autocast` does the "run in 16 bits" part: inside the context, matmuls
and convolutions cast their inputs to the low dtype, while reductions
(softmax, norms, the loss) stay in float32.

- bf16 (8 exponent bits, like fp32): the same range as fp32, fewer mantissa
  bits. Gradients cannot underflow any sooner than in fp32: no loss scaling.
- fp16 (5 exponent bits): gradients below ~6e-8 flush to zero (section 3.2 of
  the paper shows many activation gradients live there). The fix is loss
  scaling: multiply the loss by S before backward, so every gradient is S times
  larger and representable; divide the gradients by S before the optimizer.
  S is chosen dynamically: if any gradient is inf/NaN the step is skipped and
  S halves; after `growth_interval` clean steps S doubles (section 3.2,
  "dynamic loss scaling"). `LossScaler` writes that from scratch with the
  same interface and the same behaviour as `torch.amp.GradScaler` (tested).

ADR 015 says which to pick: bf16 where the hardware has it (Ampere+, recent CPUs), fp16 + scaler otherwise.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable

import torch

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def parse_dtype(name: str | torch.dtype) -> torch.dtype:
    """'fp32' | 'bf16' | 'fp16' (or a torch dtype) -> torch dtype, with an error that lists the choices."""
    if isinstance(name, torch.dtype):
        if name not in DTYPES.values():
            raise ValueError(f"dtype {name} is not one of {list(DTYPES.values())}")
        return name
    if name not in DTYPES:
        raise ValueError(f"--dtype {name!r}: choose one of {', '.join(DTYPES)}")
    return DTYPES[name]


def autocast_context(device_type: str, dtype: str | torch.dtype):
    """The context the forward pass (and loss) runs in: nothing for fp32, torch.autocast for bf16/fp16.
    Weights stay float32 (the master copy); only the compute inside the context is 16-bit."""
    dtype = parse_dtype(dtype)
    if dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device_type, dtype=dtype)


def maybe_compile(model: torch.nn.Module, enabled: bool, **kwargs) -> torch.nn.Module:
    """torch.compile(model) when enabled (fuses elementwise ops, cuts Python overhead; the first steps are
    slow while it compiles). The compiled module shares the weights, so the optimizer can use either."""
    return torch.compile(model, **kwargs) if enabled else model


def unscale_grads(grads: list[torch.Tensor], inv_scale: float) -> torch.Tensor:
    """Multiply every gradient in `grads` by `inv_scale`, in place, and say whether any is inf/NaN.

    Returns a 0-d float32 tensor on the first gradient's device (CPU when `grads` is empty): 1.0 if any
    entry of any gradient is inf or NaN after unscaling, else 0.0. It must stay a tensor: no .item(),
    bool() or `if tensor:` here, because each of those waits for the device (a host sync) and would cost
    one sync per parameter; the scaler reads the answer once per step (tested: the return type, the
    unscaled values, and the flag on inf, -inf and NaN in any one tensor)."""
    # >>> exercise 3.3 unscale
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=3.3:unscale
    raise NotImplementedError("exercise 3.3 unscale")
    # <<< exercise 3.3 unscale


class LossScaler:
    """Dynamic loss scaling for fp16, from scratch; the interface of torch.amp.GradScaler:

        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)        # optional: before gradient clipping
        scaler.step(optimizer)            # skipped if a gradient is inf/NaN
        scaler.update()                   # shrink or grow the scale

    reduce_found_inf: for data parallelism, a callable that takes this rank's found-inf tensor (0-d
    float32, 1.0 = overflow) and returns the global one (e.g. an all-reduce with MAX), so every rank
    skips the same steps and keeps the same scale. It is called once per optimizer per step, and the
    scaler reads the result on the host once (one sync per step, not one per tensor).
    state_dict() / load_state_dict() save and restore the scale, the count of clean steps and the
    hyper-parameters, so a resumed run continues exactly (tested).
    """

    def __init__(self, init_scale: float = 2.0 ** 16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True,
                 reduce_found_inf: Callable[[torch.Tensor], torch.Tensor] | None = None):
        if growth_factor <= 1.0 or not 0.0 < backoff_factor < 1.0 or growth_interval < 1:
            raise ValueError("LossScaler: need growth_factor > 1, 0 < backoff_factor < 1, growth_interval >= 1")
        self.scale_value = float(init_scale)
        self.growth_factor, self.backoff_factor, self.growth_interval = growth_factor, backoff_factor, growth_interval
        self.enabled = enabled
        self.reduce_found_inf = reduce_found_inf
        self.growth_tracker = 0             # clean steps since the last change of scale
        self._found_inf: dict[int, bool] = {}  # id(optimizer) -> inf seen this iteration (unscaled already)

    def get_scale(self) -> float:
        return self.scale_value if self.enabled else 1.0

    def scale(self, loss: torch.Tensor) -> torch.Tensor:
        return loss * self.scale_value if self.enabled else loss

    def unscale_(self, optimizer: torch.optim.Optimizer) -> bool:
        """Divide every gradient of `optimizer` by the scale, in place; return True if any is inf/NaN
        (on any rank, when reduce_found_inf is set)."""
        if not self.enabled:
            return False
        if id(optimizer) in self._found_inf:
            raise RuntimeError("unscale_() was already called on this optimizer since the last update()")
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        found_inf = unscale_grads(grads, 1.0 / self.scale_value)
        if self.reduce_found_inf is not None:
            found_inf = self.reduce_found_inf(found_inf)
        self._found_inf[id(optimizer)] = bool(found_inf)  # the step's one host sync
        return self._found_inf[id(optimizer)]

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
        """After the step(s) of one iteration: back off on an overflow, grow after growth_interval clean steps.

        Contract (tested against torch.amp.GradScaler's scale and growth tracker, step by step): an overflow
        in this iteration multiplies the scale by backoff_factor and resets growth_tracker to 0; a clean
        iteration adds 1 to growth_tracker, and when it reaches growth_interval the scale is multiplied by
        growth_factor and growth_tracker goes back to 0."""
        if not self.enabled:
            return
        found_inf = any(self._found_inf.values())
        self._found_inf.clear()
        # >>> exercise 3.3 update_scale
        # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=3.3:update_scale
        raise NotImplementedError("exercise 3.3 update_scale")
        # <<< exercise 3.3 update_scale
        if not math.isfinite(self.scale_value) or self.scale_value == 0.0:
            raise FloatingPointError(f"loss scale became {self.scale_value}: the loss itself is inf/NaN, "
                                     "not just its gradients; lower the lr or check the data")

    def state_dict(self) -> dict:
        """Everything a resumed run needs to continue exactly (as GradScaler.state_dict, plus `enabled`)."""
        return {"scale": self.scale_value, "growth_tracker": self.growth_tracker, "growth_factor": self.growth_factor,
                "backoff_factor": self.backoff_factor, "growth_interval": self.growth_interval, "enabled": self.enabled}

    def load_state_dict(self, state: dict) -> None:
        """Restore a state_dict(); older checkpoints with only scale and growth_tracker keep the other settings."""
        if not isinstance(state, dict) or "scale" not in state or "growth_tracker" not in state:
            raise ValueError("LossScaler.load_state_dict: not a loss-scaler state (expected the dict that "
                             f"LossScaler.state_dict() returns, with 'scale' and 'growth_tracker'), got {state!r:.80}")
        self.scale_value, self.growth_tracker = float(state["scale"]), int(state["growth_tracker"])
        self.growth_factor = float(state.get("growth_factor", self.growth_factor))
        self.backoff_factor = float(state.get("backoff_factor", self.backoff_factor))
        self.growth_interval = int(state.get("growth_interval", self.growth_interval))
        self.enabled = bool(state.get("enabled", self.enabled))
        self._found_inf.clear()
