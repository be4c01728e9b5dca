"""Debugging challenge ★★ (commit 1.1): "the init scale is 1 over the fan-in." Small layers look
fine; a 4096-wide layer's outputs come out 64x too small, and a deep stack of them starts with
vanishing activations. Find the bug; which test catches it?"""

TARGET = "phase1_model.linear"
COMMIT = "1.1"
EXERCISE = "linear"

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
    nn.Module.__init__(self)
    self.in_features, self.out_features = in_features, out_features
    bound = 1.0 / in_features
    kw = dict(device=device, dtype=dtype)
    self.weight = nn.Parameter(torch.empty(out_features, in_features, **kw).uniform_(-bound, bound))
    if bias:
        self.bias = nn.Parameter(torch.empty(out_features, **kw).uniform_(-bound, bound))
    else:
        self.bias = None


Linear.__init__ = __init__  # noqa: F821 (the copy's class)
