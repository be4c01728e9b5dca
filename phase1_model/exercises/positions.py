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
The paper (and Meta's LLaMA code) pairs neighbours (2i, 2i+1) ("interleaved",
with complex numbers). They are the same rotation applied to differently ordered
channels: permuting q and k's channels by [0, 2, 4, ..., 1, 3, 5, ...] turns one
into the other, and q . k is unchanged by a common permutation, so attention
scores are identical (tests/test_positions.py checks it against the paper's form).

`rope` computes its cos/sin from the positions: a (T, head_dim/2) table, and a
KV cache only has to say where its tokens are. It also accepts the two tables
already computed: the GPT computes them once per forward with `rope_tables`
(which gets them from `rope` itself, rotating the pair (1, 0)), instead of once
per layer, for queries and keys, forward and backward (4 * n_layer times a step).
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


def rope(x: torch.Tensor, positions, base: float = 10000.0) -> torch.Tensor:
    """Rotary position embedding (Su et al. 2021, eq. 15 and 34), half-split pairs.

    x (..., T, head_dim), head_dim even; positions (T,) integer tensor, the position of each of the T
    rows (any integers: with a KV cache they start at the cache's length, and a negative position
    rotates backwards, which is how `Rotate` computes the gradient). For channel pair
    i = 0..head_dim/2 - 1, made of channels i and i + head_dim/2 (x1 = first half, x2 = second half):
        theta_i = base^(-2i / head_dim),   angle = position * theta_i,
        [x1, x2] -> [x1 cos(angle) - x2 sin(angle),  x1 sin(angle) + x2 cos(angle)]
    a rotation by +angle of every pair. Angles, cos and sin in float32 whatever x's dtype (bf16 angles
    would be off by whole radians at position 1000); the rotation runs in x's dtype and the result has
    x's shape, dtype and device. Raises ValueError when head_dim is odd or positions is not (T,).
    Instead of positions you may get a tuple (cos, sin) of two (T, head_dim/2) float32 tables, already
    computed for the positions (`rope_tables`): then rotate by those (base is not used)."""
    # >>> exercise 1.4 rope
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.4:rope
    raise NotImplementedError("exercise 1.4 rope")
    # <<< exercise 1.4 rope


def rope_tables(positions: torch.Tensor, head_dim: int, base: float = 10000.0) -> tuple[torch.Tensor, torch.Tensor]:
    """(cos, sin) of rope's angles at `positions` (T,), each (T, head_dim/2) float32, for `rope(x, (cos, sin))`.

    Computed by `rope` itself, so the angle formula is written once: rotating the pair (x1, x2) = (1, 0)
    by an angle gives (cos, sin) of that angle. The GPT calls this once per forward and hands the tables
    to every layer; they are tiny (T x head_dim/2), the saving is the ops, not the FLOPs."""
    unit = torch.zeros(len(positions), head_dim, device=positions.device)
    unit[:, :head_dim // 2] = 1.0  # every pair (x1, x2) = (1, 0)
    cos, sin = rope(unit, positions, base).chunk(2, dim=-1)  # [1 cos - 0 sin | 1 sin + 0 cos]
    return cos.contiguous(), sin.contiguous()


class Rotate(torch.autograd.Function):
    """`rope` with its backward written as what it is. A rotation R(m) is orthogonal and R(m)^T = R(-m),
    so the gradient of y = R(m) x is R(-m) grad: `rope(grad, -positions)`, or with the tables
    `rope(grad, (cos, -sin))` (cos is even, sin odd). Autograd would instead differentiate the slices,
    products and concatenation one by one (zero-filled buffers, extra additions); the attention calls
    `Rotate.apply(x, rotation, base)` on its queries and keys, rotation = positions or (cos, sin)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, rotation, base: float) -> torch.Tensor:
        ctx.rotation, ctx.base = rotation, base  # constants (no gradient): kept as they are
        return rope(x, rotation, base)

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        rotation = ctx.rotation
        inverse = (rotation[0], -rotation[1]) if isinstance(rotation, tuple) else -rotation
        return rope(grad, inverse, ctx.base), None, None
