"""Alternative solution (commit 1.4, rope): Hugging Face LLaMA's form. cos and sin at full width
(each frequency twice: [theta, theta]), and rotate_half(x) = [-x2, x1], so the rotation is one line:
x * cos + rotate_half(x) * sin. Frequencies as 1 / base^(2i/d) (inv_freq)."""

TARGET = "phase1_model.positions"
COMMIT = "1.4"
EXERCISE = "rope"

import torch  # noqa: E402


def rotate_half(x):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def rope(x, positions, base=10000.0):
    dim = x.shape[-1]
    if isinstance(positions, tuple):  # (cos, sin) already computed, half width: widen them
        cos, sin = (torch.cat((t, t), dim=-1).to(x.dtype) for t in positions)
        return x * cos + rotate_half(x) * sin
    if dim % 2 != 0:
        raise ValueError(f"head_dim must be even, got {dim}")
    if positions.dim() != 1 or positions.numel() != x.shape[-2]:
        raise ValueError(f"positions must be (T,) with T={x.shape[-2]}, got {tuple(positions.shape)}")
    inv_freq = 1.0 / (base ** (torch.arange(0, dim, 2, device=x.device).float() / dim))
    freqs = positions.float().to(x.device)[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
    return x * cos + rotate_half(x) * sin
