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
- every param group is in ONE call (the loop over tensors is unrolled into one graph, and
  the scalars of all groups are one small table): the per-call overhead (guards, wrappers,
  ~30 us + ~2 us per tensor) is paid once per step, not once per group or per tensor. At
  0.92M parameters, one call per group and 8 new 0-d tensors per group made the step 2.3x
  torch's fused kernel; one call per step brought it to ~1.05x.

`adamw_math` is the update of `adam.adam_update` written with tensor scalars; the tests
check the compiled step against the readable one (equal within float32 round-off).
`compiled(fn)` is how both AdamW and Muon's step get compiled (muon.py compiles its momentum,
`newton_schulz` itself, one graph per matrix shape, and its update: one definition of the iteration).
`resolve_fused` is the switch: True, False, or None = compile where this device can; `MNC_FUSED=0`
in the environment turns None into False (test suites use it: every new process compiles afresh).
Compiling costs time once (10-60 s on a CPU), so `expected_fused` decides for a whole run what None
should mean: compile only when the run is long enough for the faster step to pay the compile back
(build_optimizer's default).
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


# The cost rule for fused=None on the CPU (build_optimizer's default), from `python -m bench.bench_optim`
# (2-core x86 CPU, torch 2.13, docs/comparisons/optimizer-comparison.md): compiling the step costs
# 10-35 s once (more on a busy machine), and the compiled step saves 1.2e-9 s (0.92M params: foreach
# ~2.0 ms vs fused ~0.9 ms) to 3.2e-9 s (52M params) per parameter per step over the foreach step.
# Compile when the expected saving over the run, with the low end of both, beats the compile time.
CPU_COMPILE_S = 20.0
CPU_SAVED_S_PER_PARAM_STEP = 1e-9
DEFAULT_STEPS = 1000  # assumed run length when the caller does not say (TrainConfig's default max_steps)


def expected_fused(device: torch.device, n_params: int, steps: int | None) -> tuple[bool, str]:
    """fused=None made concrete for one run: (compile?, why), the why for the trainer's log.

    On the CPU compiling pays only on long enough runs of big enough models: n_params * steps *
    CPU_SAVED_S_PER_PARAM_STEP > CPU_COMPILE_S (with the figures above: n_params * steps > 2e10, e.g. a 20M
    model for 1000 steps; the 0.92M demo for 1200 steps would save ~1 s for ~20 s of compiling).
    On an accelerator: compile whenever possible (a foreach step launches ~10 kernels per stage there;
    the compile cost against the saving is not measured on GPU yet)."""
    if not resolve_fused(None, device):
        off = os.environ.get(FUSED_ENV, "1") == "0"
        return False, f"not fused: {FUSED_ENV}=0" if off else f"not fused: torch.compile unavailable on {device.type}"
    if device.type != "cpu":
        return True, f"fused: compiling pays on {device.type}"
    steps_note = "" if steps is not None else " (assumed; pass steps=)"
    steps = DEFAULT_STEPS if steps is None else steps
    saved = n_params * steps * CPU_SAVED_S_PER_PARAM_STEP
    verdict = "fused" if saved > CPU_COMPILE_S else "not fused"
    rel = ">" if saved > CPU_COMPILE_S else "<="
    return saved > CPU_COMPILE_S, (f"{verdict}: {n_params / 1e6:.2f}M params x {steps} steps{steps_note} would save "
                                   f"~{saved:.0f} s {rel} ~{CPU_COMPILE_S:.0f} s of compiling on CPU")


@functools.cache
def compiled(fn):
    """torch.compile(fn) for optimizer steps: one whole graph (fullgraph), static shapes (the fastest kernels;
    one compilation per list of shapes, reused every step).
    Also leaves room for one graph per shape list: the default limit of 8 recompilations would silently fall
    back to slow eager code on a model with many shapes. Raised once, here, not patched around every call:
    `config.patch` per call cost ~50 us, a tenth of a small model's whole step."""
    config = torch._dynamo.config
    name = "recompile_limit" if hasattr(config, "recompile_limit") else "cache_size_limit"
    setattr(config, name, max(64, getattr(config, name)))
    return torch.compile(fn, fullgraph=True, dynamic=False)


def call_compiled(fn, *args, **kwargs) -> tuple[bool, object]:
    """(True, compiled(fn)(*args)), or (False, None) when compiling failed on this device: the caller then takes
    the unfused path (we warn once and stop trying there)."""
    first = args[0][0] if isinstance(args[0], (list, tuple)) else args[0]
    device_type = first.device.type
    if device_type in _broken:
        return False, None
    try:
        return True, compiled(fn)(*args, **kwargs)
    except Exception as e:  # a broken compiler tool chain must not stop training: fall back, say so once
        _broken.add(device_type)
        warnings.warn(f"torch.compile failed on {device_type} ({type(e).__name__}: {str(e)[:300]}); "
                      "using the unfused optimizer step from now on", RuntimeWarning, stacklevel=2)
        return False, None


def compiled_or_eager(fn, *args):
    """compiled(fn)(*args) where compiling works, else fn(*args): the same code run eagerly."""
    ok, out = call_compiled(fn, *args)
    return out if ok else fn(*args)


def adamw_math(params: list[torch.Tensor], grads: list[torch.Tensor], exp_avgs: list[torch.Tensor],
               exp_avg_sqs: list[torch.Tensor], hyper: torch.Tensor, rows: tuple[int, ...],
               decoupled: tuple[bool, ...], has_decay: tuple[bool, ...]) -> None:
    """adam.adam_update for a list of tensors from several param groups. Tensor i uses row rows[i] of `hyper`,
    its group's scalars (see `adam_hyper_row`), and that group's decoupled / has_decay flags.
    Meant to run compiled: the whole list becomes one kernel, one fused loop per tensor."""
    for p, g, m, v, r in zip(params, grads, exp_avgs, exp_avg_sqs, rows):
        neg_step_size, bias_correction2_sqrt, one_minus_beta1, beta2, one_minus_beta2, eps, decay, wd = hyper[r]
        if has_decay[r]:
            if decoupled[r]:
                p.mul_(decay)
            else:
                g = g + wd * p
        m.lerp_(g, one_minus_beta1)
        v.mul_(beta2).addcmul_(g, g, value=one_minus_beta2)
        denom = (v.sqrt() / bias_correction2_sqrt).add_(eps)
        p.addcdiv_(m, denom, value=neg_step_size)


def adam_hyper_row(step: int, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float) -> list[float]:
    """A group's scalars for adamw_math, computed in Python float64 as adam_update does:
    -lr / (1 - beta1^t), sqrt(1 - beta2^t), 1 - beta1, beta2, 1 - beta2, eps, 1 - lr*wd, wd."""
    return [-lr / (1 - beta1 ** step), (1 - beta2 ** step) ** 0.5, 1 - beta1, beta2, 1 - beta2, eps,
            1 - lr * weight_decay, weight_decay]


def adam_fused(groups: list[tuple[list, list, list, list, int, dict]]) -> bool:
    """One compiled Adam(W) step for several groups at once: ONE call (one set of guards, one kernel launch)
    per step instead of one per group. Each entry is (params, grads, exp_avgs, exp_avg_sqs, step t, hp) with
    hp = lr, beta1, beta2, eps, weight_decay, decoupled; all tensors share one device and dtype.
    Returns False (nothing done) if compiling is not possible, so the caller takes the unfused path."""
    params, grads, exp_avgs, exp_avg_sqs, rows, hyper, decoupled, has_decay = [], [], [], [], [], [], [], []
    for r, (ps, gs, ms, vs, step, hp) in enumerate(groups):
        params += ps
        grads += gs
        exp_avgs += ms
        exp_avg_sqs += vs
        rows += [r] * len(ps)
        hyper.append(adam_hyper_row(step, hp["lr"], hp["beta1"], hp["beta2"], hp["eps"], hp["weight_decay"]))
        decoupled.append(hp["decoupled"])
        has_decay.append(hp["weight_decay"] != 0)
    # One small CPU tensor for every scalar of every group (one allocation per step, not 8 per group), in the
    # params' dtype (the rounding eager PyTorch applies to a Python scalar). On an accelerator its entries go
    # in as 0-d CPU tensors, which a kernel reads as plain scalars (no host-to-device copy, no sync).
    table = torch.tensor(hyper, dtype=params[0].dtype)
    if params[0].device.type != "cpu":
        table = [list(row.unbind()) for row in table]
    ok, _ = call_compiled(adamw_math, params, grads, exp_avgs, exp_avg_sqs, table, tuple(rows), tuple(decoupled),
                          tuple(has_decay))
    return ok
