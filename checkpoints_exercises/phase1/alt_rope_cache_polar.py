"""Alternative solution (commit 1.4, rope_cache): build e^{j t theta_i} with torch.polar and read off
its real and imaginary parts. theta_i = base^(-2i/d) written as exp(-2i/d * ln base); float32."""

TARGET = "phase1_model.positions"
COMMIT = "1.4"
EXERCISE = "rope_cache"

import math  # noqa: E402

import torch  # noqa: E402


def rope_cache(T, head_dim, base=10000.0, device=None):
    i = torch.arange(head_dim // 2, dtype=torch.float32, device=device)
    theta = torch.exp(-2 * i / head_dim * math.log(base))
    t = torch.arange(T, dtype=torch.float32, device=device)
    z = torch.polar(torch.ones(T, head_dim // 2, device=device), t[:, None] * theta[None, :])
    return z.real.contiguous(), z.imag.contiguous()
