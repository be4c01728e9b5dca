# Learner stub GENERATED from phase3_optim/mfu.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""Model FLOPs utilization: how much of the hardware's peak a training run uses (commit 3.3).

    MFU = (FLOPs per token * tokens per second) / peak FLOP/s of the device

FLOPs per token come from the model (phase1_model.GPT.flops_per_token: 6N for
the matmuls, forward + backward, plus the attention term; Kaplan et al. 2020,
Chowdhery et al. 2022 appendix B, where MFU is defined). "Model" FLOPs count
only what the model mathematically needs, not recomputation, so MFU compares
fairly across implementations. Good LLM runs reach 40-55% on H100s.

Peaks are dense (no 2:4 sparsity) tensor-core numbers from the vendors' data
sheets. A CPU has no data-sheet number we can trust for your machine, so
`measure_matmul_peak` times a large float32 matmul: MFU against that is "how
close to the best matmul this machine does", the honest CPU figure.
"""

from __future__ import annotations

import re
import time

import torch

# Dense peak FLOP/s by device and dtype (vendor data sheets; fp32 = plain FP32 without TF32).
DEVICE_PEAKS: dict[str, dict[str, float]] = {
    "H100 SXM": {"bf16": 989e12, "fp16": 989e12, "tf32": 494e12, "fp32": 67e12},
    "H100 PCIe": {"bf16": 756e12, "fp16": 756e12, "tf32": 378e12, "fp32": 51e12},
    "H100 NVL": {"bf16": 835e12, "fp16": 835e12, "tf32": 418e12, "fp32": 60e12},
    "H200": {"bf16": 989e12, "fp16": 989e12, "tf32": 494e12, "fp32": 67e12},
    "H200 NVL": {"bf16": 835e12, "fp16": 835e12, "tf32": 418e12, "fp32": 60e12},  # the PCIe card: lower clocks
    "A100": {"bf16": 312e12, "fp16": 312e12, "tf32": 156e12, "fp32": 19.5e12},
    "A10G": {"bf16": 125e12, "fp16": 125e12, "tf32": 62.5e12, "fp32": 31.2e12},
    "L4": {"bf16": 121e12, "fp16": 121e12, "tf32": 60e12, "fp32": 30.3e12},
    "RTX 4090": {"bf16": 165e12, "fp16": 165e12, "tf32": 82.6e12, "fp32": 82.6e12},
    "RTX 3090": {"bf16": 71e12, "fp16": 71e12, "tf32": 35.6e12, "fp32": 35.6e12},
    "V100": {"fp16": 125e12, "fp32": 15.7e12},
    "T4": {"fp16": 65e12, "fp32": 8.1e12},
}


def device_peak_flops(device_name: str, dtype: str = "bf16") -> float:
    """Peak FLOP/s for a device name as torch.cuda.get_device_name() prints it ('NVIDIA H100 80GB HBM3')."""
    # Longest key first, so "H100 PCIe" wins over "H100" when both could match.
    for key in sorted(DEVICE_PEAKS, key=len, reverse=True):
        if all(re.search(rf"\b{re.escape(w)}\b", device_name, re.I) for w in key.split()):
            peaks = DEVICE_PEAKS[key]
            if dtype not in peaks:
                raise KeyError(f"{key} has no {dtype} peak in DEVICE_PEAKS (known: {', '.join(peaks)})")
            return peaks[dtype]
    if re.search(r"\bh100\b", device_name, re.I):  # SXM is the common one in clouds ("NVIDIA H100 80GB HBM3")
        return DEVICE_PEAKS["H100 SXM"][dtype]
    raise KeyError(f"no peak for device {device_name!r}: add it to phase3_optim.mfu.DEVICE_PEAKS "
                   "or pass peak_flops= (on CPU: measure_matmul_peak())")


def mfu(flops_per_token: float, tokens_per_second: float, peak_flops: float) -> float:
    """Model FLOPs utilization: flops_per_token * tokens_per_second / peak_flops (in [0, 1] for a real run).

    peak_flops <= 0 raises ValueError (a message naming the value), never ZeroDivisionError (tested)."""
    # >>> exercise 3.3 mfu
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=3.3:mfu
    raise NotImplementedError("exercise 3.3 mfu")
    # <<< exercise 3.3 mfu


def measure_matmul_peak(n: int = 1024, dtype: torch.dtype = torch.float32, repeats: int = 10,
                        device: str = "cpu") -> float:
    """Achieved FLOP/s of an n x n matmul (2 n^3 FLOPs), best of `repeats`: a practical peak for CPUs."""
    a = torch.randn(n, n, dtype=dtype, device=device)
    b = torch.randn(n, n, dtype=dtype, device=device)
    a @ b  # warm-up
    best = float("inf")
    for _ in range(repeats):
        if device != "cpu":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        a @ b
        if device != "cpu":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best
