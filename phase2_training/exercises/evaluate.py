# Learner stub GENERATED from phase2_training/evaluate.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""Evaluation: the loss (and bits per byte) on held-out data, without touching the model.

Training loss says how well the model fits what it has seen; the validation
loss on text it never trains on says how well it generalises, and its gap to
the training loss is the first sign of overfitting. Three details matter:

- model.eval() (dropout off) and torch.no_grad() (no graph: half the memory),
  and afterwards the model goes back to the mode it was in (eval_mode, below);
- average over *tokens*, not over batches: a batch that is mostly padding must
  weigh less than a full one, so sum the nats and count the tokens, then divide
  once at the end (ADR 010);
- the same fixed val batches every time, so two evals differ only by the model,
  and no random state is consumed: an exactly resumable run needs that (2.4).

The loop in evaluate() is the forward half of the training loop (trainer.py):
batches in, forward under the precision context, per-token cross-entropy out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator

import torch

from phase2_training.loss import bits_per_byte, cross_entropy, nats_and_bytes


@contextlib.contextmanager
def eval_mode(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """model.eval() inside the block; afterwards the mode it had before, even if the block raised."""
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)


@torch.no_grad()
def evaluate(model, batches: Iterable[tuple[torch.Tensor, torch.Tensor]], token_bytes: torch.Tensor | None = None,
             ignore_index: int = -1,
             autocast: Callable[[], contextlib.AbstractContextManager] | None = None) -> dict[str, float]:
    """The model's loss on `batches`: {'loss': mean nats per target token, 'bpb': bits per byte}.

    model(x) returns (logits (B, T, V), loss); each batch is (x, y) with y (B, T) the target ids, where
    y == ignore_index marks padding that counts for nothing. Every forward pass runs inside
    `autocast()` (a zero-argument context factory: bf16/fp16 in phase 3; the loss is best taken on
    float32 logits). 'loss' is the mean over all counted target tokens of all batches (a
    token-weighted mean, not a mean of per-batch means), as a Python float. 'bpb' is present only when
    token_bytes ((V,) UTF-8 length of each id, 0 for specials) is given: total nats over total bytes of
    the counted targets (phase2_training.loss.nats_and_bytes, bits_per_byte). Raises ValueError if no
    batch holds a counted target. The model is evaluated in eval mode and without gradients (done
    around the region) and is left in the mode it was in; no random number is drawn.
    """
    autocast = autocast or contextlib.nullcontext
    with eval_mode(model):
        # >>> exercise 2.2 evaluate
        # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=2.2:evaluate
        raise NotImplementedError("exercise 2.2 evaluate")
        # <<< exercise 2.2 evaluate
