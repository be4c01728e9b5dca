"""Alternative solution (commit 1.3, layer_norm): torch.var_mean with correction=0 (the biased
variance torch's LayerNorm uses) and rsqrt, instead of computing the mean and variance by hand."""

TARGET = "phase1_model.norms"
COMMIT = "1.3"
EXERCISE = "layer_norm"

import torch  # noqa: E402


def layer_norm(x, weight=None, bias=None, eps=1e-5):
    var, mean = torch.var_mean(x, dim=-1, keepdim=True, correction=0)
    y = (x - mean) * torch.rsqrt(var + eps)
    y = y if weight is None else y * weight
    return y if bias is None else y + bias
