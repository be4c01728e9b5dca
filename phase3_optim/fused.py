"""The fused optimizer step: our own AdamW update and Newton-Schulz, compiled by torch.compile.

What this adds over adam.py and muon.py: speed, not maths. The readable AdamW step
(`adam_update`, or `adam_foreach`) runs one kernel per operation: lerp, mul, addcmul,
sqrt, div, add, addcdiv, each reading and writing whole tensors. The update is
elementwise, so all of it can be one pass over memory per tensor: read p, g, m, v once,
write p, m, v once. torch.optim.AdamW(fused=True) does that with a hand-written kernel;
here `torch.compile` writes it for us from the same few lines of Python (Inductor fuses
the elementwise ops into one loop per tensor: C++ with SIMD on CPU, Triton on GPU), the
way nanochat compiles its optimizer step.

Two details make compilation pay:
- the hyper-parameters (lr, the bias corrections, ...) go in as 0-d tensors, not Python
  floats: a compiled graph is specialised on Python numbers, so a new lr each step (the
  schedule) or a new step count would recompile every step;
- a whole param group is one call (the loop over tensors is unrolled into one graph), so
  the per-call overhead is paid once per group, not once per tensor.

`adamw_math` is the update of `adam.adam_update` written with tensor scalars; the tests
check the compiled step against the readable one (equal within float32 round-off).
`compiled(fn)` is how both AdamW and Muon's Newton-Schulz get compiled (muon.py compiles
`newton_schulz` itself: one definition of the iteration). `resolve_fused` is the switch:
True, False, or None = the fastest path this device supports; `MNC_FUSED=0` in the
environment turns None into False (test suites use it: every new process compiles afresh).
"""

from __future__ import annotations

import functools
import os
import shutil
import warnings

import torch

FUSED_ENV = "MNC_FUSED"
_broken: set[str] = set()  # device types where compiling failed once: fall back, warn once


@functools.cache
def can_compile(device_type: str) -> bool:
    """Whether torch.compile can generate fused kernels here: Triton on CUDA, a C++ compiler on CPU."""
    if device_type == "cuda":
        from torch.utils._triton import has_triton
        return has_triton()
    if device_type == "cpu":
        return os.name != "nt" and any(shutil.which(c) for c in (os.environ.get("CXX", "g++"), "g++", "c++", "clang++"))
    return False


def resolve_fused(fused: bool | None, device: torch.device) -> bool:
    """fused=None -> True where the device can compile (and MNC_FUSED is not 0); True -> must be possible."""
    if fused is None:
        return os.environ.get(FUSED_ENV, "1") != "0" and can_compile(device.type) and device.type not in _broken
    if fused and not can_compile(device.type):
        raise RuntimeError(f"fused=True needs torch.compile to generate kernels on {device.type}: a C++ compiler "
                           "(g++/clang++) on CPU or Triton on CUDA. Install one, or use fused=None (fastest available)")
    return bool(fused)


@functools.cache
def compiled(fn):
    """torch.compile(fn) for optimizer steps: one whole graph (fullgraph), static shapes (the fastest kernels;
    one compilation per group's list of shapes, reused every step)."""
    return torch.compile(fn, fullgraph=True, dynamic=False)


def call_compiled(fn, *args, **kwargs) -> tuple[bool, object]:
    """(True, compiled(fn)(*args)), or (False, None) when compiling failed on this device: the caller then takes
    the unfused path (we warn once and stop trying there).
    Leaves room for one graph per param group and shape bucket: the default limit of 8 recompilations would
    silently fall back to slow eager code on a model with many shapes."""
    config = torch._dynamo.config
    name = "recompile_limit" if hasattr(config, "recompile_limit") else "cache_size_limit"
    first = args[0][0] if isinstance(args[0], (list, tuple)) else args[0]
    device_type = first.device.type
    if device_type in _broken:
        return False, None
    try:
        with config.patch(**{name: max(64, getattr(config, name))}):
            return True, compiled(fn)(*args, **kwargs)
    except Exception as e:  # a broken compiler tool chain must not stop training: fall back, say so once
        _broken.add(device_type)
        warnings.warn(f"torch.compile failed on {device_type} ({type(e).__name__}: {str(e)[:300]}); "
                      "using the unfused optimizer step from now on", RuntimeWarning, stacklevel=2)
        return False, None


def adamw_math(params: list[torch.Tensor], grads: list[torch.Tensor], exp_avgs: list[torch.Tensor],
               exp_avg_sqs: list[torch.Tensor], neg_step_size: torch.Tensor, bias_correction2_sqrt: torch.Tensor,
               one_minus_beta1: torch.Tensor, beta2: torch.Tensor, one_minus_beta2: torch.Tensor, eps: torch.Tensor,
               decay: torch.Tensor, weight_decay: torch.Tensor, decoupled: bool, has_decay: bool) -> None:
    """adam.adam_update for a list of tensors, scalars as 0-d tensors (neg_step_size = -lr / (1 - beta1^t),
    decay = 1 - lr*wd). Meant to run compiled: each tensor's update becomes one fused loop."""
    for p, g, m, v in zip(params, grads, exp_avgs, exp_avg_sqs):
        if has_decay:
            if decoupled:
                p.mul_(decay)
            else:
                g = g + weight_decay * p
        m.lerp_(g, one_minus_beta1)
        v.mul_(beta2).addcmul_(g, g, value=one_minus_beta2)
        denom = (v.sqrt() / bias_correction2_sqrt).add_(eps)
        p.addcdiv_(m, denom, value=neg_step_size)


def adam_fused(params: list[torch.Tensor], grads: list[torch.Tensor], exp_avgs: list[torch.Tensor],
               exp_avg_sqs: list[torch.Tensor], step: int, lr: float, beta1: float, beta2: float, eps: float,
               weight_decay: float, decoupled: bool) -> bool:
    """One compiled Adam(W) step for a group whose tensors share device, dtype and step t.
    Returns False (nothing done) if compiling is not possible, so the caller takes the unfused path."""
    # The scalars are computed in Python float64, as adam_update does, then stored in the params' dtype
    # (the rounding eager PyTorch applies to a Python scalar), on the CPU (read as scalars by the kernels).
    scalars = [-lr / (1 - beta1 ** step), (1 - beta2 ** step) ** 0.5, 1 - beta1, beta2, 1 - beta2, eps,
               1 - lr * weight_decay, weight_decay]
    dtype = params[0].dtype
    tensors = [torch.tensor(x, dtype=dtype) for x in scalars]
    ok, _ = call_compiled(adamw_math, params, grads, exp_avgs, exp_avg_sqs, *tensors, decoupled, weight_decay != 0)
    return ok
