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

One `MLP` class holds all three (`kind`), with nanoGPT's parameter names. The
torch path (what training runs) calls torch's fused activations and nn.Linear;
with `GPTConfig.primitives="manual"` the same module is built from our `Linear`,
`gelu` and `silu` (written here, tested equal to `F.gelu` and `F.silu`).
ReLU^2 is ours on both paths (`ReLUSquared`, a hand-written backward).
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from phase1_model.linear import Linear


def gelu(x: torch.Tensor, approximate: str = "none") -> torch.Tensor:
    """GELU from scratch: 'none' = x * Phi(x) with the exact erf; 'tanh' = GPT-2's approximation.
    Elementwise, same shape and dtype as x; equal to F.gelu(x, approximate=approximate)."""
    # >>> exercise 1.3 gelu
    if approximate == "tanh":
        return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))
    # <<< exercise 1.3 gelu


def silu(x: torch.Tensor) -> torch.Tensor:
    """SiLU ("swish"; Elfwing et al. 2017, Ramachandran et al. 2017) from scratch: x * sigmoid(x), with
    sigmoid(z) = 1 / (1 + exp(-z)) written by you (do not call torch.sigmoid, F.sigmoid or F.silu).
    Elementwise, same shape and dtype as x, equal to F.silu. Its value AND its gradient must be finite
    for every finite x: in float32 exp(89) is already inf, and the textbook formula's backward then
    multiplies 0 by inf (nan) for x below about -88, where F.silu's gradient is ~0."""
    # >>> exercise 1.3 silu
    e = torch.exp(-x.abs())  # in (0, 1]: never overflows, whatever the sign of x
    sigmoid = torch.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))  # 1/(1+exp(-x)) and exp(x)/(1+exp(x))
    return x * sigmoid
    # <<< exercise 1.3 silu


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


class MLP(nn.Module):
    """The feed-forward half of a block, in one of three forms (`kind`, config.mlp):

        "gelu"    c_proj(gelu_tanh(c_fc(x)))                 GPT-2; hidden = 4 n_embd
        "relu2"   c_proj(relu(c_fc(x))^2)                    nanochat (Primer)
        "swiglu"  c_proj(silu(gate) * up), [gate | up] = c_fc(x)   LLaMA (Shazeer 2020)

    For SwiGLU c_fc is (n_embd -> 2 * hidden): the paper's W and V side by side, one matmul."""

    def __init__(self, n_embd: int, hidden: int, kind: str = "gelu", bias: bool = True, dropout: float = 0.0,
                 manual: bool = False):
        super().__init__()
        if kind not in ("gelu", "relu2", "swiglu"):
            raise ValueError(f"kind={kind!r}: choose gelu, relu2 or swiglu")
        self.kind = kind
        layer = Linear if manual else nn.Linear  # chosen once, here: the forward below never asks again
        self.c_fc = layer(n_embd, 2 * hidden if kind == "swiglu" else hidden, bias=bias)
        self.c_proj = layer(hidden, n_embd, bias=bias)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        # the activations the forward calls: ours (manual) or torch's fused kernels, same signatures
        self.gelu, self.silu = (gelu, silu) if manual else (F.gelu, F.silu)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (..., n_embd) -> (..., n_embd), by self.kind (see the class docstring):
        "gelu": self.gelu(h, approximate="tanh") (GPT-2 uses the tanh form); "relu2": ReLUSquared.apply(h);
        "swiglu": gate = the FIRST half of c_fc(x)'s channels, up = the second, then self.silu(gate) * up.
        Call self.gelu / self.silu (not F.gelu, F.silu: the manual path must run ours), then c_proj, then
        self.dropout on the output (identity in eval)."""
        # >>> exercise 1.3 mlp
        h = self.c_fc(x)
        if self.kind == "swiglu":
            gate, up = h.chunk(2, dim=-1)  # W and V of the paper, fused in one matmul
            h = self.silu(gate) * up
        elif self.kind == "relu2":
            h = ReLUSquared.apply(h)
        else:
            h = self.gelu(h, approximate="tanh")
        y = self.c_proj(h)
        return self.dropout(y)
        # <<< exercise 1.3 mlp


def build_mlp(config) -> nn.Module:
    """The MLP a GPTConfig asks for (config.mlp, width config.mlp_hidden; ours when config.primitives is manual)."""
    return MLP(config.n_embd, config.mlp_hidden, config.mlp, bias=config.bias, dropout=config.dropout,
               manual=config.manual)
