# Learner stub GENERATED from phase1_model/positions.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""Positions: attention is blind to order, so we tell it where each token is.

Self-attention treats its input as a *set*: permute the tokens and the outputs
permute with them. Three ways to break that symmetry, in historical order:

1. learned absolute (GPT-1/2): a second embedding table, row t added to the
   token at position t. Simple; cannot go past block_size. (The GPT uses
   `nn.Embedding(block_size, n_embd)` for it: nothing new to write.)
2. sinusoidal absolute (Vaswani et al. 2017, section 3.5):
       PE[t, 2i] = sin(t / base^(2i/C)),  PE[t, 2i+1] = cos(t / base^(2i/C))
3. RoPE (Su et al. 2021, arXiv:2104.09864, eq. 14-16): rotate each pair of
   query/key channels by an angle t * theta_i, theta_i = base^(-2i/d). Since
   R(m)^T R(n) = R(n - m), the score q_m . k_n depends on the offset n - m only.

Rotation convention. We pair channel i with channel i + d/2 ("half-split", as
in GPT-NeoX, HF LLaMA and nanochat): x = [x1, x2] ->
[x1 cos - x2 sin, x1 sin + x2 cos], a rotation by +angle (the paper's sign).
The paper (and Meta's LLaMA code) pairs neighbours (2i, 2i+1) ("interleaved");
`apply_rotary_emb_interleaved` does that with complex numbers. They are the
same rotation applied to differently ordered channels: permuting q and k's
channels by `interleaved_to_half_split` turns one into the other, and q . k is
unchanged by a common permutation, so attention scores are identical.
"""

from __future__ import annotations

import torch


def sinusoidal_embedding(T: int, n_embd: int, base: float = 10000.0) -> torch.Tensor:
    """(T, n_embd) float32 table: even channels sin(t * w_i), odd channels cos(t * w_i),
    w_i = base^(-2i/n_embd) for channel pair i (channels 2i and 2i+1)."""
    # >>> exercise 1.4 sinusoidal
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.4:sinusoidal
    raise NotImplementedError("exercise 1.4 sinusoidal")
    # <<< exercise 1.4 sinusoidal


def rope_cache(T: int, head_dim: int, base: float = 10000.0, device=None) -> tuple[torch.Tensor, torch.Tensor]:
    """cos, sin of the angles t * theta_i, each (T, head_dim // 2) and float32 whatever torch's
    default dtype (the model keeps them as buffers; apply_rotary_emb casts its result to x's dtype);
    t = 0..T-1, theta_i = base^(-2i/head_dim) for i = 0..head_dim/2 - 1."""
    # >>> exercise 1.4 rope_cache
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.4:rope_cache
    raise NotImplementedError("exercise 1.4 rope_cache")
    # <<< exercise 1.4 rope_cache


def apply_rotary_emb(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate x (..., T, head_dim) by the cached angles (T, head_dim // 2), half-split convention.
    Pair channel i with i + head_dim/2: [x1, x2] -> [x1 cos - x2 sin, x1 sin + x2 cos]. Same dtype as x."""
    # >>> exercise 1.4 apply_rope
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.4:apply_rope
    raise NotImplementedError("exercise 1.4 apply_rope")
    # <<< exercise 1.4 apply_rope


class Rotate(torch.autograd.Function):
    """apply_rotary_emb with its backward written as what it is. A rotation R is orthogonal, so the
    gradient of y = R x is R^T grad = R(-angle) grad: apply_rotary_emb(grad, cos, -sin). Autograd would
    instead differentiate the slices, products and concatenation one by one (zero-filled buffers,
    extra additions); the model calls `Rotate.apply(x, cos, sin)` on its queries and keys."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
        ctx.save_for_backward(cos, sin)
        return apply_rotary_emb(x, cos, sin)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        cos, sin = ctx.saved_tensors
        return apply_rotary_emb(grad, cos, -sin), None, None


def apply_rotary_emb_interleaved(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """The paper's convention: channels (2i, 2i+1) are the real and imaginary parts of one complex
    number, multiplied by e^{i t theta_i} (this is how Meta's LLaMA code writes it)."""
    z = torch.view_as_complex(x.float().reshape(*x.shape[:-1], -1, 2).contiguous())
    rotated = z * torch.complex(cos, sin)
    return torch.view_as_real(rotated).flatten(-2).type_as(x)


def interleaved_to_half_split(head_dim: int) -> torch.Tensor:
    """Permutation p with x_half = x_inter[..., p]: [0, 2, 4, ..., 1, 3, 5, ...].
    Then apply_rotary_emb(x[..., p]) == apply_rotary_emb_interleaved(x)[..., p]."""
    return torch.cat([torch.arange(0, head_dim, 2), torch.arange(1, head_dim, 2)])
