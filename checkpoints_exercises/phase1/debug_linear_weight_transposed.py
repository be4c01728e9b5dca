"""Debugging challenge ★★ (commit 1.1): "x @ W reads better than x @ W.T, so store W as (in, out)."
The layer trains as well as torch's. Then loading GPT-2 weights into it fails with a wall of shape
errors, and tied embeddings stop working. Find the bug; which test catches it?"""

TARGET = "phase1_model.linear"
COMMIT = "1.1"
EXERCISE = "linear"

import math  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
    nn.Module.__init__(self)
    self.in_features, self.out_features = in_features, out_features
    bound = 1 / math.sqrt(in_features)
    kw = dict(device=device, dtype=dtype)
    self.weight = nn.Parameter(torch.empty(in_features, out_features, **kw).uniform_(-bound, bound))
    self.bias = nn.Parameter(torch.empty(out_features, **kw).uniform_(-bound, bound)) if bias else None


def forward(self, x):
    y = x @ self.weight  # (in, out): no transpose needed, which was the point
    return y if self.bias is None else y + self.bias


Linear.__init__ = __init__  # noqa: F821 (the copy's class)
Linear.forward = forward  # noqa: F821
