"""Alternative solution (commit 1.1, linear): U(-a, a) as a * (2 U(0, 1) - 1) with torch.rand, the
tensors built first and wrapped in nn.Parameter afterwards, an absent bias assigned as plain None
(nn.Module.__setattr__ then keeps it out of the state dict, as register_parameter does). Other draws
than torch's from the same seed, the same distribution: the tests check the distribution."""

TARGET = "phase1_model.linear"
COMMIT = "1.1"
EXERCISE = "linear"

import math  # noqa: E402

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
    nn.Module.__init__(self)
    self.in_features = in_features
    self.out_features = out_features
    a = 1 / math.sqrt(max(in_features, 1))
    kw = dict(device=device, dtype=dtype)
    self.weight = nn.Parameter(a * (2 * torch.rand(out_features, in_features, **kw) - 1))
    self.bias = nn.Parameter(a * (2 * torch.rand(out_features, **kw) - 1)) if bias else None


Linear.__init__ = __init__  # noqa: F821 (the copy's class)
