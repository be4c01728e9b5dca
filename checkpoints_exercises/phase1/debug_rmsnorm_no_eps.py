"""Debugging challenge ★★★ (commit 1.3): "eps only matters for tiny activations, drop it." RMSNorm
still equals torch's to six digits on every random input, and training runs for hours, until the
nanochat lineage (whose blocks start as the identity) meets an all-zero vector and the loss turns
into NaN. Find the bug; which test catches it?"""

TARGET = "phase1_model.norms"
COMMIT = "1.3"
EXERCISE = "rms_norm"

import torch  # noqa: E402


def rms_norm(x, weight=None, eps=1e-5):
    y = x / torch.sqrt(x.pow(2).mean(dim=-1, keepdim=True))
    return y * weight if weight is not None else y
