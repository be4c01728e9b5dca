# Learner stub GENERATED from phase2_training/evaluate.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""Evaluation: the loss (and bits per byte) on held-out data, without touching the model.

Training loss says how well the model fits what it has seen; the validation
loss on text it never trains on says how well it generalises, and its gap to
the training loss is the first sign of overfitting. Three details matter:

- model.eval() (dropout off) and torch.no_grad() (no graph: half the memory),
  and afterwards the model goes back to the mode it was in;
- average over *tokens*, not over batches (batches may hold padding);
- the same fixed val batches every time, so two evals differ only by the model,
  and no random state is consumed: an exactly resumable run needs that (2.4).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable

import torch

from phase2_training.loss import bits_per_byte, cross_entropy, nats_and_bytes


@torch.no_grad()
def evaluate(model, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], token_bytes: torch.Tensor | None = None,
             ignore_index: int = -1,
             autocast: Callable[[], contextlib.AbstractContextManager] | None = None) -> dict[str, float]:
    """{'loss': mean nats per target token, 'bpb': bits per byte (only with token_bytes)} over `batches`."""
    autocast = autocast or contextlib.nullcontext
    # >>> exercise 2.2 evaluate
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=2.2:evaluate
    raise NotImplementedError("exercise 2.2 evaluate")
    # <<< exercise 2.2 evaluate
