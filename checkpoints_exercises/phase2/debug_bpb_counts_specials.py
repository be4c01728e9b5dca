"""Debugging challenge ★★★ (commit 2.1): bits per byte comes out a little worse than nanochat's
number for the same model and data, and the gap grows when documents are short. Find the bug;
which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase2/debug_bpb_counts_specials.py --commit 2.1
"""

TARGET = "phase2_training.loss"
COMMIT = "2.1"
EXERCISE = "nats_and_bytes"


def nats_and_bytes(token_losses, targets, token_bytes):
    import torch

    nb = token_bytes.to(targets.device)[targets.clamp(min=0)]
    nb = torch.where(targets >= 0, nb, torch.zeros_like(nb))
    counted = targets >= 0  # every real target, including <|bos|>, whose 0 bytes carry nats anyway
    return (token_losses.float() * counted).sum(), nb.sum()
