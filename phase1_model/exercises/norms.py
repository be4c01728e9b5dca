# Learner stub GENERATED from phase1_model/norms.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""Normalisation: keep each token's activation vector at a fixed scale.

LayerNorm (Ba et al. 2016), the GPT-1/2 choice, centres and scales each vector:

    y = (x - mean(x)) / sqrt(var(x) + eps) * weight + bias

RMSNorm (Zhang & Sennrich 2019, arXiv:1910.07467, eq. 4) drops the centring;
the scale alone does the stabilising work, with fewer operations:

    y = x / sqrt(mean(x^2) + eps) * weight

LLaMA keeps the learnable `weight`; nanochat drops it (a parameter-free
RMSNorm): the next Linear layer can absorb any per-channel scale anyway.

The GPT trains with torch's modules (`nn.LayerNorm`, `nn.RMSNorm`: fused kernels).
One exception, on the CPU: torch 2.13 has no fused RMSNorm backward there, so autograd
differentiates its forward op by op (square, mean, add, rsqrt, multiply: a dozen passes
over the activations). `RMSNormFunction` writes that backward out in closed form, and
the torch path's norms use it on the CPU (`FastRMSNorm`, `unit_rms_norm`).
The from-scratch functions `layer_norm` and `rms_norm` are the exercises, tested
equal to them; the modules `LayerNorm` and `RMSNorm` below wrap them, and
`build_norm` picks them when `GPTConfig.primitives == "manual"`.
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
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.3:layer_norm
    raise NotImplementedError("exercise 1.3 layer_norm")
    # <<< exercise 1.3 layer_norm


def rms_norm(x: torch.Tensor, weight: torch.Tensor | None = None, eps: float = 1e-5) -> torch.Tensor:
    """RMSNorm over the last dimension, from scratch: x / sqrt(mean(x^2) + eps) (* weight).
    No centring (a constant vector of 5s gives ones); eps inside the square root, so a zero vector
    gives zeros, not NaN. Equal to F.rms_norm(x, (C,), weight, eps)."""
    # >>> exercise 1.3 rms_norm
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.3:rms_norm
    raise NotImplementedError("exercise 1.3 rms_norm")
    # <<< exercise 1.3 rms_norm


class LayerNorm(nn.Module):
    """LayerNorm module over `layer_norm` (the manual path); optional learnable weight and bias (GPT-2 has
    both). Same parameter names as nn.LayerNorm, which the torch path builds instead."""

    def __init__(self, ndim: int, bias: bool = True, eps: float = 1e-5, affine: bool = True):
        super().__init__()
        self.ndim, self.eps = ndim, eps
        self.weight = nn.Parameter(torch.ones(ndim)) if affine else None
        self.bias = nn.Parameter(torch.zeros(ndim)) if affine and bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return layer_norm(x, self.weight, self.bias, self.eps)


class RMSNorm(nn.Module):
    """RMSNorm module over `rms_norm` (the manual path); affine=False gives nanochat's parameter-free
    version (no parameters at all). eps=None means the input dtype's machine epsilon, as F.rms_norm."""

    def __init__(self, ndim: int, affine: bool = True, eps: float | None = 1e-5):
        super().__init__()
        self.ndim, self.eps = ndim, eps
        self.weight = nn.Parameter(torch.ones(ndim)) if affine else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rms_norm(x, self.weight, eps_for(x, self.eps))


def eps_for(x: torch.Tensor, eps: float | None) -> float:
    """eps, or with eps=None the input dtype's machine epsilon (what F.rms_norm and nn.RMSNorm use)."""
    return torch.finfo(x.dtype).eps if eps is None else eps


class RMSNormFunction(torch.autograd.Function):
    """y = x_hat * weight, x_hat = x * r, r = 1 / sqrt(mean(x^2) + eps): `rms_norm`'s maths, backward
    written out. With C channels, dr/dx_j = -r^3 x_j / C, so for g_hat = grad * weight:

        dL/dx = r * (g_hat - x_hat * mean(g_hat * x_hat)),    dL/dweight = sum over tokens of grad * x_hat

    Saving x_hat and r, the backward is four passes over the activation instead of autograd's dozen.
    The mean of squares comes from torch.linalg.vector_norm (one reduction, no x^2 buffer), at least float32."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor | None, eps: float) -> torch.Tensor:
        acc = torch.promote_types(x.dtype, torch.float32)  # bf16/fp16 accumulate in float32
        norm = torch.linalg.vector_norm(x, dim=-1, keepdim=True, dtype=acc)  # sqrt(sum x^2)
        r = norm.square_().div_(x.size(-1)).add_(eps).rsqrt_()  # (..., 1)
        x_hat = (x * r).to(x.dtype)
        ctx.save_for_backward(x_hat, r, weight)
        return x_hat * weight if weight is not None else x_hat

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        x_hat, r, weight = ctx.saved_tensors
        grad_weight = None
        if weight is not None:
            grad_weight = (grad * x_hat).flatten(0, -2).sum(0) if ctx.needs_input_grad[1] else None
            grad = grad * weight
        mean = (grad * x_hat).sum(-1, keepdim=True, dtype=r.dtype).div_(x_hat.size(-1))
        grad_x = torch.addcmul(grad, x_hat, mean.to(grad.dtype), value=-1).mul_(r)  # r * (g - x_hat * mean)
        return grad_x.to(x_hat.dtype), grad_weight, None


def _use_written_out_backward(x: torch.Tensor) -> bool:
    """CPU eager only: CUDA has a fused rms_norm backward, and torch.compile fuses the plain ops itself."""
    return x.device.type == "cpu" and not torch.compiler.is_compiling()


class FastRMSNorm(nn.RMSNorm):
    """torch's nn.RMSNorm (same parameters, same numbers), with `RMSNormFunction`'s backward on the CPU."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _use_written_out_backward(x):
            return super().forward(x)
        return RMSNormFunction.apply(x, self.weight, eps_for(x, self.eps))


# The classes that play the role of a norm: torch's (the torch path) and ours (the manual path).
NORM_TYPES = (nn.LayerNorm, nn.RMSNorm, LayerNorm, RMSNorm)


def build_norm(config) -> nn.Module:
    """The norm a GPTConfig asks for: LayerNorm (bias = config.bias) or RMSNorm (weight = config.norm_affine);
    torch's module, or ours when config.primitives == "manual" (same parameters, same numbers)."""
    C, eps, affine = config.n_embd, config.norm_eps, config.norm_affine
    if config.norm == "layernorm":
        if config.manual:
            return LayerNorm(C, bias=config.bias, eps=eps, affine=affine)
        return nn.LayerNorm(C, eps=eps, elementwise_affine=affine, bias=config.bias)
    return RMSNorm(C, affine=affine, eps=eps) if config.manual else FastRMSNorm(C, eps=eps, elementwise_affine=affine)


def unit_rms_norm(ndim: int, manual: bool):
    """Parameter-free RMSNorm over the last dimension (of size ndim) with eps = the input dtype's machine
    epsilon (F.rms_norm's default): nanochat's QK-norm (per head) and its norm after the embedding.
    A callable x -> normalised x: our RMSNorm module (manual), or the torch path's direct call to the
    fused kernel (`RMSNormFunction` on the CPU), a plain function: no module call more."""
    return RMSNorm(ndim, affine=False, eps=None) if manual else _fused_unit_rms_norm


def _fused_unit_rms_norm(x: torch.Tensor) -> torch.Tensor:
    if _use_written_out_backward(x):
        return RMSNormFunction.apply(x, None, eps_for(x, None))
    return F.rms_norm(x, (x.size(-1),))
