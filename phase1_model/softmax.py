"""Softmax from scratch, and why the textbook formula overflows.

A model outputs scores (logits) z; softmax turns them into a probability
distribution:

    softmax(z)_i = exp(z_i) / sum_j exp(z_j)

Written exactly like that it breaks in float32: exp(89) is already larger than
the largest float32 (3.4e38), so logits of a few hundred give inf / inf = nan,
and logits of -200 give 0 / 0 = nan. The fix costs nothing: softmax does not
change when the same constant c is added to every z_j (exp(z_i + c) =
exp(z_i) exp(c), and exp(c) cancels), so subtract the row's maximum m first.
Then every exponent is <= 0 (no overflow) and the largest term is exactly
exp(0) = 1 (the sum is >= 1, never 0).

Masked entries are -inf (attention's causal mask): exp(-inf - m) = 0, so they
get exactly zero probability, as long as the row has one finite entry to set m.
A row that is all -inf has no distribution at all (torch returns nan there);
the causal mask always leaves a query its own key, so the model never asks.

The bigram model samples with it and, with `GPTConfig.primitives="manual"`,
attention uses it instead of torch's fused `F.softmax`.
"""

from __future__ import annotations

import torch


def softmax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """exp(x) / exp(x).sum(dim), normalised along `dim`, computed so that it never overflows.

    Same shape and dtype as x; every slice along `dim` sums to 1. Must stay finite and equal to
    torch.softmax for logits of any size (1e4 or -1e4 included: subtract the maximum along `dim`
    first), and give exactly 0 to -inf entries of a slice that has at least one finite entry.
    (A slice that is all -inf is not tested: torch gives nan.) Differentiable; do not call
    torch.softmax, F.softmax, Tensor.softmax or log_softmax."""
    # >>> exercise 1.1 softmax
    shifted = x - x.amax(dim=dim, keepdim=True)  # the row's largest entry becomes 0; the rest <= 0
    e = torch.exp(shifted)
    return e / e.sum(dim=dim, keepdim=True)
    # <<< exercise 1.1 softmax
