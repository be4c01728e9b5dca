"""Debugging challenge ★★★ (commit 1.2): attention "works" — the output has the right shape, the rows
of the weights sum to one, the mask is right — but a bigger head_dim trains worse and worse, and the
attention maps look almost uniform at init. Find the bug; which test catches it?"""

TARGET = "phase1_model.attention"
COMMIT = "1.2"
EXERCISE = "attention"

import torch.nn.functional as F  # noqa: E402


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / q.size(-1)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = F.softmax(scores, dim=-1)
    return weights @ v, weights
