"""Debugging challenge ★★★ (commit 1.4): "under autocast everything is bf16, so the angles can be
too." Short contexts train as well as in float32; past a few hundred tokens the bf16 model's loss
stops improving, and the float32 model does not have the problem. Find the bug; which test catches
it? (How many distinct bf16 numbers are there between 512 and 1024?)"""

TARGET = "phase1_model.positions"
COMMIT = "1.4"
EXERCISE = "rope"

import torch  # noqa: E402


def rope(x, positions, base=10000.0):
    if x.size(-1) % 2 or positions.shape != (x.size(-2),):
        raise ValueError(f"rope needs x (..., T, even head_dim) and positions (T,): {tuple(x.shape)}")
    d = x.size(-1) // 2
    theta = base ** (-torch.arange(0, 2 * d, 2, dtype=x.dtype, device=x.device) / (2 * d))
    angles = torch.outer(positions.to(device=x.device, dtype=x.dtype), theta)  # in x's dtype
    cos, sin = angles.cos(), angles.sin()
    x1, x2 = x[..., :d], x[..., d:]
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1)
