"""The loss: cross-entropy from a numerically stable log-softmax, perplexity and bits per byte.

A language model outputs logits z (one score per vocabulary entry); training
minimises the negative log-likelihood of the true next token y:

    log_softmax(z)_i = z_i - log sum_j exp(z_j)
                     = (z_i - m) - log sum_j exp(z_j - m)      for any m; take m = max_j z_j
    cross_entropy(z, y) = -log_softmax(z)_y                      (nats per token)

Subtracting the max is the whole trick: exp(1000) overflows float32 to inf
and inf - inf is nan, while exp(z - max) lies in (0, 1] and the sum is >= 1,
so its log is finite. Every deep-learning library does this (the
"log-sum-exp trick"); F.cross_entropy is our oracle in the tests.

Two read-outs of the same number:
- perplexity = exp(mean nats per token): "as unsure as a uniform choice among
  this many tokens". It depends on the tokenizer (bigger tokens, bigger ppl).
- bits per byte = total nats / (ln 2 * total UTF-8 bytes of the targets). It
  does not depend on the tokenizer, so it compares models with different
  vocabularies and a plain compressor (Shannon 1951; used by nanochat, and by
  Gao et al. 2020 "The Pile" as BPB). See ADR 010.
"""

from __future__ import annotations

import math

import torch


def log_softmax(logits: torch.Tensor, dim: int = -1) -> torch.Tensor:
    """log(softmax(logits)) along `dim`, finite even for logits like 1000 or -1000 (no overflow)."""
    # >>> exercise 2.1 log_softmax
    m = logits.amax(dim=dim, keepdim=True).detach()  # any constant works; detach: no gradient through the max
    shifted = logits - m                               # <= 0 everywhere, so exp() is in (0, 1]
    return shifted - shifted.exp().sum(dim=dim, keepdim=True).log()
    # <<< exercise 2.1 log_softmax


def cross_entropy(logits: torch.Tensor, targets: torch.Tensor, ignore_index: int = -100,
                  reduction: str = "mean") -> torch.Tensor:
    """Negative log-likelihood of `targets` under `logits`, like F.cross_entropy.

    logits (..., V) and targets (...) of int64 class ids. Positions whose target equals
    `ignore_index` (padding) count for nothing: reduction="mean" averages over the others
    (nan if there are none, as torch does), "sum" adds them, "none" returns per-position
    losses with 0 at ignored positions.
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction={reduction!r}: use 'mean', 'sum' or 'none'")
    if logits.shape[:-1] != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} need targets of shape {tuple(logits.shape[:-1])}, "
                         f"got {tuple(targets.shape)}")
    # >>> exercise 2.1 cross_entropy
    logp = log_softmax(logits, dim=-1)
    keep = targets != ignore_index
    safe = torch.where(keep, targets, torch.zeros_like(targets))  # gather needs a valid index everywhere
    nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    nll = torch.where(keep, nll, torch.zeros_like(nll))
    if reduction == "none":
        return nll
    if reduction == "sum":
        return nll.sum()
    return nll.sum() / keep.sum()
    # <<< exercise 2.1 cross_entropy


def perplexity(mean_loss: float) -> float:
    """exp(mean nats per token): the effective number of equally likely choices per token."""
    return math.exp(mean_loss) if mean_loss < 700 else math.inf  # exp(710) overflows a float


def nats_and_bytes(token_losses: torch.Tensor, targets: torch.Tensor,
                   token_bytes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The two sums bits per byte is made of: (total nats, total UTF-8 bytes) over the counted targets.

    token_losses: per-position nats (cross_entropy(..., reduction="none")); targets: their ids
    (negative = ignored); token_bytes: (V,) UTF-8 length of each id (phase0_tokenizer.data.token_bytes),
    0 for special tokens. Targets with 0 bytes (specials like <|bos|>) or negative ids (padding)
    are left out of BOTH sums: predicting where a document starts is not text.
    Sums, not a ratio, so batches and ranks can be added up before dividing.
    """
    # >>> exercise 2.1 nats_and_bytes
    nb = token_bytes.to(targets.device)[targets.clamp(min=0)]
    nb = torch.where(targets >= 0, nb, torch.zeros_like(nb))
    counted = nb > 0
    return (token_losses.float() * counted).sum(), nb.sum()
    # <<< exercise 2.1 nats_and_bytes


def bits_per_byte(total_nats: float | torch.Tensor, total_bytes: int | torch.Tensor) -> float:
    """Nats over bytes, converted to bits: total_nats / (ln 2 * total_bytes)."""
    total_nats, total_bytes = float(total_nats), int(total_bytes)
    if total_bytes <= 0:
        raise ValueError("bits per byte of zero bytes is undefined: the targets were all special tokens or padding")
    return total_nats / (math.log(2) * total_bytes)


def unigram_bits_per_byte(train_ids: torch.Tensor, val_ids: torch.Tensor, token_bytes: torch.Tensor) -> float:
    """The baseline a model must beat: bits per byte of val under the train set's token frequencies.

    p(token) = (count in train + 1) / (N + V) (add-one smoothing, so an unseen val token costs a
    finite amount). A model that ignores context entirely can do this well; anything learned
    about context shows up as bits below it.
    """
    V = token_bytes.numel()
    counts = torch.bincount(train_ids.long().flatten(), minlength=V)[:V].double() + 1.0
    log_p = counts.log() - counts.sum().log()
    val_ids = val_ids.long().flatten()
    nats, nbytes = nats_and_bytes(-log_p[val_ids], val_ids, token_bytes)
    return bits_per_byte(nats, nbytes)
