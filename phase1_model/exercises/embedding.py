# Learner stub GENERATED from phase1_model/embedding.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""Token embeddings from scratch: a token id is a row number.

A language model cannot multiply an integer id; it looks up a learned vector.
An embedding table is a (vocab_size, n_embd) matrix W, and the vector of token i
is row i. Mathematically that is the one-hot product

    embed(i) = one_hot(i) @ W          (a (V,) row vector times a (V, C) matrix)

but nobody builds the one-hot: indexing `W[i]` gives the same row without V
multiplications. The gradient is the same too: each row receives the sum of the
gradients of the positions where its token appears (rows of absent tokens get 0).

The GPT uses torch's `nn.Embedding` (same maths, a fused backward kernel);
`TokenEmbedding` is the from-scratch twin, tested equal to it.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class TokenEmbedding(nn.Module):
    """nn.Embedding from scratch: a learned (num_embeddings, embedding_dim) table indexed by token id."""

    def __init__(self, num_embeddings: int, embedding_dim: int, std: float = 1.0):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        # nn.Embedding's default init is N(0, 1); the GPT re-initialises (see GPT.init_weights).
        self.weight = nn.Parameter(torch.randn(num_embeddings, embedding_dim) * std)

    def forward(self, idx: torch.Tensor) -> torch.Tensor:
        """idx: integer tensor of any shape (B, T) -> float tensor idx.shape + (embedding_dim,): row idx of
        self.weight, differentiable with respect to self.weight (the gradient of a row sums over the
        positions where its token appears, as with nn.Embedding)."""
        if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= self.num_embeddings):
            raise IndexError(f"token ids must be in [0, {self.num_embeddings}); got min {int(idx.min())}, "
                             f"max {int(idx.max())}: is the tokenizer's vocab larger than vocab_size?")
        # >>> exercise 1.1 token_embedding
        # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.1:token_embedding
        raise NotImplementedError("exercise 1.1 token_embedding")
        # <<< exercise 1.1 token_embedding


def one_hot_embedding(idx: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """The definition, slow on purpose: one_hot(idx) @ W. Equal to weight[idx]."""
    return F.one_hot(idx, weight.size(0)).to(weight.dtype) @ weight
