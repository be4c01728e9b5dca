# Learner stub GENERATED from phase1_model/mlp.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""The MLP: the per-token half of a transformer block (attention mixes tokens, the MLP thinks).

Each variant expands n_embd to a hidden width, applies a nonlinearity, and
projects back (`c_fc` in, `c_proj` out, nanoGPT's names):

- GELU (Hendrycks & Gimpel 2016), GPT-1/2: x * Phi(x), Phi the standard normal
  CDF. GPT-2 uses the tanh approximation
      0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
- ReLU^2 (So et al. 2021, "Primer"), nanochat: relu(x)^2, cheap and sparse.
- SwiGLU (Shazeer 2020, arXiv:2002.05202, section 2), LLaMA: a gated unit,
      FFN(x) = (SiLU(x W) * (x V)) W2,   SiLU(z) = z * sigmoid(z).
  It has three matrices instead of two, so the hidden width is ~8/3 n_embd
  instead of 4 n_embd to keep the parameter count (GPTConfig.mlp_hidden).
  We fuse W and V into one `c_fc` of width 2*hidden: one matmul, then split.

The modules use torch's fused activations (fast path); `gelu` from scratch is
the exercise, tested equal to `F.gelu` in both of its forms.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F


def gelu(x: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    """GELU from scratch: 'none' = x * Phi(x) with the exact erf; 'tanh' = GPT-2's approximation.
    Elementwise, same shape and dtype as x; equal to F.gelu(x, approximate=approximate)."""
    # >>> exercise 1.3 gelu
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.3:gelu
    raise NotImplementedError("exercise 1.3 gelu")
    # <<< exercise 1.3 gelu


class GELUMLP(nn.Module):
    """GPT-2's MLP: Linear -> GELU (tanh approximation) -> Linear."""

    def __init__(self, n_embd: int, hidden: int, bias: bool = True, dropout: float = 0.0):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, hidden, bias=bias)
        self.c_proj = nn.Linear(hidden, n_embd, bias=bias)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate="tanh")))


class ReLUSquared(torch.autograd.Function):
    """relu(x)^2 with its derivative written out: d/dx relu(x)^2 = 2 relu(x) (0 where x <= 0).

    Same maths as `F.relu(x).square()`; autograd would differentiate square as pow (a copy of x, two
    multiplies) and then relu (a threshold), four passes over the (B, T, 4 n_embd) activation. Saving
    r = relu(x) gives the whole derivative from r alone, in two."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        r = torch.relu(x)
        ctx.save_for_backward(r)
        return r * r

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        (r,) = ctx.saved_tensors
        return torch.mul(grad, r).mul_(2.0)


class ReLU2MLP(GELUMLP):
    """nanochat's MLP: Linear -> relu(.)^2 -> Linear (Primer's squared ReLU, with a fused backward)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dropout(self.c_proj(ReLUSquared.apply(self.c_fc(x))))


class SwiGLUMLP(nn.Module):
    """LLaMA's MLP: c_proj(silu(gate) * up), gate and up from one fused (n_embd -> 2*hidden) Linear."""

    def __init__(self, n_embd: int, hidden: int, bias: bool = False, dropout: float = 0.0):
        super().__init__()
        self.c_fc = nn.Linear(n_embd, 2 * hidden, bias=bias)  # [W | V] of the paper, side by side
        self.c_proj = nn.Linear(hidden, n_embd, bias=bias)      # W2
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (..., n_embd) -> (..., n_embd): c_proj(silu(gate) * up), where gate is the FIRST half of
        c_fc(x)'s channels and up the second; self.dropout is applied to the output (identity in eval)."""
        # >>> exercise 1.3 swiglu
        # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.3:swiglu
        raise NotImplementedError("exercise 1.3 swiglu")
        # <<< exercise 1.3 swiglu


MLPS = {"gelu": GELUMLP, "relu2": ReLU2MLP, "swiglu": SwiGLUMLP}


def build_mlp(config) -> nn.Module:
    """The MLP a GPTConfig asks for (config.mlp, width config.mlp_hidden)."""
    return MLPS[config.mlp](config.n_embd, config.mlp_hidden, bias=config.bias, dropout=config.dropout)
