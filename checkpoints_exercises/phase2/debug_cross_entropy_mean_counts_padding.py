"""Debugging challenge ★★★ (commit 2.1): the training loss looks fine on full batches, but on the
last, padded batch of every epoch it drops suddenly, and the shorter the documents (the more
padding), the better the model "looks". Nothing about the model changed. Find the bug; which test
catches it?

    python -m tools.challenges debug_cross_entropy_mean_counts_padding
"""
# ruff: noqa: F821 (runs inside a copy of phase2_training.loss: its imports and names are in scope)

TARGET = "phase2_training.loss"
COMMIT = "2.1"
EXERCISE = "cross_entropy"


def cross_entropy(logits, targets, ignore_index=-100, reduction="mean"):
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"reduction={reduction!r}: use 'mean', 'sum' or 'none'")
    if logits.shape[:-1] != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} need targets of shape {tuple(logits.shape[:-1])}, "
                         f"got {tuple(targets.shape)}")
    logp = log_softmax(logits, dim=-1)
    keep = targets != ignore_index
    safe = torch.where(keep, targets, torch.zeros_like(targets))
    nll = -logp.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    nll = torch.where(keep, nll, torch.zeros_like(nll))
    if reduction == "none":
        return nll
    if reduction == "sum":
        return nll.sum()
    return nll.mean()  # padding costs 0 above, so it may as well count in the average
