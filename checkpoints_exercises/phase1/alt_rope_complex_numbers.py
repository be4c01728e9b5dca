"""Alternative solution (commit 1.4, apply_rope): RoPE with complex numbers, in the half-split layout.

Pair channel i with channel i + d/2 as one complex number z_i = x_i + j x_{i+d/2}; rotating by the
angle a is z * e^{ja} = z * (cos a + j sin a). The real part is x1 cos - x2 sin, the imaginary part
x1 sin + x2 cos: exactly the reference's rotate-half formula. (Meta's LLaMA code does the same with
the interleaved layout; see apply_rotary_emb_interleaved.) Computed in float32, returned in x's dtype."""

TARGET = "phase1_model.positions"
COMMIT = "1.4"
EXERCISE = "apply_rope"

import torch  # noqa: E402


def apply_rotary_emb(x, cos, sin):
    d = x.size(-1) // 2
    real_dtype = torch.float64 if x.dtype == torch.float64 else torch.float32
    z = torch.complex(x[..., :d].to(real_dtype), x[..., d:].to(real_dtype))
    rotated = z * torch.complex(cos.to(real_dtype), sin.to(real_dtype))
    return torch.cat([rotated.real, rotated.imag], dim=-1).to(x.dtype)
