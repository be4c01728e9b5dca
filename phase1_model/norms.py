"""Normalisation: keep each token's activation vector at a fixed scale.

LayerNorm (Ba et al. 2016), the GPT-1/2 choice, centres and scales each vector:

    y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias

RMSNorm (Zhang & Sennrich 2019, arXiv:1910.07467, eq. 4) drops the centring;
the scale alone does the stabilising work, with fewer operations:

    y = x / sqrt(mean(x^2) + eps) * weight

LLaMA keeps the learnable `weight`; nanochat drops it (a parameter-free
RMSNorm): the next Linear layer can absorb any per-channel scale anyway.

The modules below call torch's fused kernels (`F.layer_norm`, `F.rms_norm`):
that is the fast path the GPT trains with. The from-scratch functions
`layer_norm` and `rms_norm` are the exercises, tested equal to them.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


def layer_norm(x: torch.Tensor, weight: torch.Tensor | None = None, bias: torch.Tensor | None = None,
               eps: float = 1e-5) -> torch.Tensor:
    """LayerNorm over the last dimension, from scratch (biased variance, as torch computes it):
    (x - mean) / sqrt(var + eps), eps inside the square root (a constant vector gives 0, not NaN),
    then * weight and + bias when given. Equal to F.layer_norm."""
    # >>> exercise 1.3 layer_norm
    mean = x.mean(dim=-1, keepdim=True)
    var = (x - mean).pow(2).mean(dim=-1, keepdim=True)
    y = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y
    # <<< exercise 1.3 layer_norm


def rms_norm(x: torch.Tensor, weight: torch.Tensor | None = None, eps: float = 1e-5) -> torch.Tensor:
    """RMSNorm over the last dimension, from scratch: x / sqrt(mean(x^2) + eps) (* weight).
    No centring (a constant vector of 5s gives ones); eps inside the square root, so a zero vector
    gives zeros, not NaN. Equal to F.rms_norm(x, (C,), weight, eps)."""
    # >>> exercise 1.3 rms_norm
    y = x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps)
    return y * weight if weight is not None else y
    # <<< exercise 1.3 rms_norm


class LayerNorm(nn.Module):
    """LayerNorm with an optional learnable weight and bias (GPT-2 has both)."""

    def __init__(self, ndim: int, bias: bool = True, eps: float = 1e-5, affine: bool = True):
        super().__init__()
        self.ndim, self.eps = ndim, eps
        self.weight = nn.Parameter(torch.ones(ndim)) if affine else None
        self.bias = nn.Parameter(torch.zeros(ndim)) if affine and bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, (self.ndim,), self.weight, self.bias, self.eps)


class RMSNorm(nn.Module):
    """RMSNorm; affine=False gives nanochat's parameter-free version (no parameters at all)."""

    def __init__(self, ndim: int, affine: bool = True, eps: float = 1e-5):
        super().__init__()
        self.ndim, self.eps = ndim, eps
        self.weight = nn.Parameter(torch.ones(ndim)) if affine else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, (self.ndim,), self.weight, self.eps)


def build_norm(config) -> nn.Module:
    """The norm a GPTConfig asks for: LayerNorm (bias = config.bias) or RMSNorm (weight = config.norm_affine)."""
    if config.norm == "layernorm":
        return LayerNorm(config.n_embd, bias=config.bias, eps=config.norm_eps, affine=config.norm_affine)
    return RMSNorm(config.n_embd, affine=config.norm_affine, eps=config.norm_eps)
