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
    was_training = model.training
    model.eval()
    try:
        nats, tokens = 0.0, 0
        text_nats, text_bytes = 0.0, 0
        for x, y in batches:
            with autocast():
                logits, _ = model(x)
            losses = cross_entropy(logits.float(), y, ignore_index=ignore_index, reduction="none")
            nats += losses.sum().item()
            tokens += (y != ignore_index).sum().item()
            if token_bytes is not None:
                n, b = nats_and_bytes(losses, torch.where(y == ignore_index, -1, y), token_bytes)
                text_nats, text_bytes = text_nats + n.item(), text_bytes + b.item()
    finally:
        model.train(was_training)
    if tokens == 0:
        raise ValueError("evaluate() got no target tokens: the val batches are empty or all padding")
    out = {"loss": nats / tokens}
    if token_bytes is not None:
        out["bpb"] = bits_per_byte(text_nats, text_bytes)
    return out
    # <<< exercise 2.2 evaluate
