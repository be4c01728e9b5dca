"""Token embeddings from scratch: a token id is a row number.

A language model cannot multiply an integer id; it looks up a learned vector.
An embedding table is a (vocab_size, n_embd) matrix W, and the vector of token i
is row i. Mathematically that is the one-hot product

    embed(i) = one_hot(i) @ W          (a (V,) row vector times a (V, C) matrix)

but nobody builds the one-hot: indexing `W[i]` gives the same row without V
multiplications. The gradient is the same too: each row receives the sum of the
gradients of the positions where its token appears (rows of absent tokens get 0).

The GPT trains with torch's `nn.Embedding` (same maths, a fused backward kernel);
`TokenEmbedding` is the from-scratch twin, tested equal to it, and the GPT builds it
instead when `GPTConfig.primitives == "manual"` (wte, and wpe for learned positions).
"""

from __future__ import annotations

import torch
import torch.nn as nn


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
        positions where its token appears, as with nn.Embedding).
        An id outside [0, num_embeddings) raises IndexError whose message contains "vocab" (torch would
        index past the table, or wrap a negative id around to the last rows)."""
        # >>> exercise 1.1 token_embedding
        if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= self.num_embeddings):
            raise IndexError(f"token ids must be in [0, {self.num_embeddings}); got min {int(idx.min())}, "
                             f"max {int(idx.max())}: is the tokenizer's vocab larger than vocab_size?")
        return self.weight[idx]
        # <<< exercise 1.1 token_embedding


# The classes that play the role of an embedding table: torch's (the torch path) and ours (the manual path).
EMBEDDING_TYPES = (nn.Embedding, TokenEmbedding)
