"""Where and how the run computes: device choice, seeding and autocast.

- pick_device("auto") prefers cuda, then Apple's mps, then cpu; any explicit choice
  is honoured or refused with the reason (no silent fallback to a 50x slower device).
- seed_everything seeds Python, NumPy and torch (all devices) from one integer.
  (Capturing and restoring those generators for an exact resume: resume.py.)
- autocast_context(dtype, device): the mixed-precision hook phase 3 fills in (fp32 here).
"""

from __future__ import annotations

import contextlib
import functools
import random

import numpy as np
import torch

from phase1_model.config import ConfigError

AUTOCAST_DTYPES = {"bf16": torch.bfloat16, "fp16": torch.float16}


class DeviceError(ConfigError, RuntimeError):
    """The asked-for device does not exist here (a ConfigError: the trainer exits 2 with the message)."""


def pick_device(preference: str = "auto") -> torch.device:
    """'auto' -> cuda > mps > cpu; 'cpu' / 'cuda' / 'cuda:1' / 'mps' -> that device, if it exists."""
    mps = getattr(torch.backends, "mps", None)
    mps_ok = bool(mps and mps.is_available())
    if preference == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        return torch.device("mps" if mps_ok else "cpu")
    try:
        device = torch.device(preference)
    except (RuntimeError, TypeError):
        raise DeviceError(f"device={preference!r} is not a device name: use auto, cpu, cuda, cuda:1 or mps") from None
    if device.type not in ("cpu", "cuda", "mps"):
        raise DeviceError(f"device={preference!r}: this course runs on cpu, cuda or mps (or auto)")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise DeviceError(f"device={preference!r} but torch sees no CUDA GPU here (torch {torch.__version__}): "
                           "use --device=cpu, or --device=auto to take the best available")
    if device.type == "cuda" and (device.index or 0) >= torch.cuda.device_count():
        raise DeviceError(f"device={preference!r} but only {torch.cuda.device_count()} GPU(s) exist")
    if device.type == "mps" and not mps_ok:
        raise DeviceError("device='mps' but MPS is not available: use --device=cpu or --device=auto")
    return device


def seed_everything(seed: int) -> None:
    """Seed Python's random, NumPy's global generator and torch (CPU and every GPU)."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds all CUDA devices


def autocast_context(dtype: str, device: torch.device):
    """A zero-argument factory of the forward pass's precision context: nullcontext for fp32,
    torch.autocast for bf16/fp16 (weights and optimizer stay fp32; matmuls run in 16 bits)."""
    if dtype == "fp32":
        return contextlib.nullcontext
    if dtype not in AUTOCAST_DTYPES:
        raise ValueError(f"dtype={dtype!r}: choose fp32, bf16 or fp16")
    return functools.partial(torch.autocast, device_type=device.type, dtype=AUTOCAST_DTYPES[dtype])
