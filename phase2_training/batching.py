"""Inputs and targets: a language model's training pairs are one sequence, shifted by one.

For a stream of token ids t_0 t_1 ... t_N the model reads t_0..t_{T-1} and must
predict t_1..t_T: position i of the target is the token *after* position i of
the input. Get the shift wrong (y = x, or y shifted the other way) and the loss
still falls, to almost zero for y = x, because the model learns to copy the
token it can already see: a bug that looks like spectacular success. The
overfitting check (checkpoint 2) uses fixed rows built here; the training loop
uses phase0_tokenizer.data, which shifts the same way.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def pack_rows(ids: Sequence[int] | torch.Tensor, block_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cut a token stream into non-overlapping rows: x (n, T) inputs and y (n, T) next-token targets.

    n = (len(ids) - 1) // T rows; row r reads ids[r*T : r*T + T] and predicts ids[r*T + 1 : r*T + T + 1].
    The last token is only ever a target, and a tail shorter than a row is dropped.
    """
    ids = torch.as_tensor(ids, dtype=torch.long).flatten()
    n = (len(ids) - 1) // block_size
    if n < 1:
        raise ValueError(f"{len(ids)} tokens cannot fill one row of block_size={block_size} plus its target: "
                         "use more text or a smaller block_size")
    # >>> exercise 2.2 pack_rows
    x = ids[:n * block_size].view(n, block_size)
    y = ids[1:n * block_size + 1].view(n, block_size)
    return x, y
    # <<< exercise 2.2 pack_rows
