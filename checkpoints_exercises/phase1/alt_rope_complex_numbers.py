"""Alternative solution (commit 1.4, rope): RoPE with complex numbers, in the half-split layout.

Pair channel i with channel i + d/2 as one complex number z_i = x_i + j x_{i+d/2}; rotating by the
angle a is z * e^{ja}, built with torch.polar(1, a). The real part is x1 cos - x2 sin, the imaginary
part x1 sin + x2 cos: exactly the reference's formula. (Meta's LLaMA code does the same with the
interleaved layout.) The frequencies come from exp(-2i/d * ln base). Computed in float32 (float64
for float64 input), returned in x's dtype. Given (cos, sin) tables instead of positions, e^{ja} is
simply cos + j sin."""

TARGET = "phase1_model.positions"
COMMIT = "1.4"
EXERCISE = "rope"

import math  # noqa: E402

import torch  # noqa: E402


def rope(x, positions, base=10000.0):
    T, dim = x.shape[-2:]
    d = dim // 2
    real = torch.float64 if x.dtype == torch.float64 else torch.float32
    if isinstance(positions, tuple):  # the unit complex numbers e^{ja} are given: cos + j sin
        turn = torch.complex(positions[0].to(real), positions[1].to(real))
    else:
        if dim % 2 or tuple(positions.shape) != (T,):
            raise ValueError(f"x must be (..., T, even head_dim) and positions (T,), got {x.shape}, {positions.shape}")
        freqs = torch.exp(-torch.arange(d, dtype=real, device=x.device) * (2 / dim) * math.log(base))
        angles = positions.to(x.device, real)[:, None] * freqs[None, :]
        turn = torch.polar(torch.ones_like(angles), angles)
    z = torch.complex(x[..., :d].to(real), x[..., d:].to(real))
    rotated = z * turn
    return torch.cat([rotated.real, rotated.imag], dim=-1).to(x.dtype)
