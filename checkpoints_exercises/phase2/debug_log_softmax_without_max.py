"""Debugging challenge ★★★ (commit 2.1): the loss equals F.cross_entropy on every test batch
you try by hand, and a small model trains fine. A bigger model at a higher learning rate stops
with "loss is nan" after a few hundred steps, although gradient clipping is on. Find the bug;
which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase2/debug_log_softmax_without_max.py --commit 2.1
"""

TARGET = "phase2_training.loss"
COMMIT = "2.1"
EXERCISE = "log_softmax"


def log_softmax(logits, dim=-1):
    return logits - logits.exp().sum(dim=dim, keepdim=True).log()
