"""Debugging challenge ★★★ (commit 2.2): the validation loss jumps when you change the number of
eval batches or when the last val batch is mostly padding, although the model is the same: the
same text scores differently depending on how it was cut into batches. Find the bug; which test
catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase2/debug_eval_mean_of_batch_means.py --commit 2.2
"""

TARGET = "phase2_training.evaluate"
COMMIT = "2.2"
EXERCISE = "evaluate"


def evaluate(model, batches, token_bytes=None, ignore_index=-1, autocast=None):
    import contextlib

    import torch

    autocast = autocast or contextlib.nullcontext
    with torch.no_grad(), eval_mode(model):  # noqa: F821 (the module's own helper: this file runs inside a copy)
        means, text_nats, text_bytes = [], 0.0, 0
        for x, y in batches:
            with autocast():
                logits, _ = model(x)
            losses = cross_entropy(logits.float(), y, ignore_index=ignore_index, reduction="none")  # noqa: F821
            means.append(losses.sum().item() / max(1, (y != ignore_index).sum().item()))  # this batch's mean
            if token_bytes is not None:
                n, b = nats_and_bytes(losses, torch.where(y == ignore_index, -1, y), token_bytes)  # noqa: F821
                text_nats, text_bytes = text_nats + n.item(), text_bytes + b.item()
        if not means:
            raise ValueError("evaluate() got no batches")
        out = {"loss": sum(means) / len(means)}  # every batch weighs the same, full or mostly padding
        if token_bytes is not None:
            out["bpb"] = bits_per_byte(text_nats, text_bytes)  # noqa: F821
        return out
