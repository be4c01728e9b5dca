"""Debugging challenge ★★★ (commit 1.3): someone "simplified" RMSNorm. On activations whose mean is
near zero it agrees with torch to a few decimals, so a quick eyeball test passes. Find the bug;
which test catches it, and what is this function really computing?"""

TARGET = "phase1_model.norms"
COMMIT = "1.3"
EXERCISE = "rms_norm"

import torch  # noqa: E402


def rms_norm(x, weight=None, eps=1e-5):
    x = x - x.mean(dim=-1, keepdim=True)
    y = x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)
    return y * weight if weight is not None else y
