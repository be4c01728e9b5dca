"""Debugging challenge ★★★ (commit 2.2): after the first evaluation the training loss drops a little
faster and the validation loss stops improving as much as it should, but only in configs with
dropout > 0. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase2/debug_eval_stays_in_eval_mode.py --commit 2.2
"""

TARGET = "phase2_training.evaluate"
COMMIT = "2.2"
EXERCISE = "evaluate"


def evaluate(model, batches, token_bytes=None, ignore_index=-1, autocast=None):
    import contextlib

    import torch

    autocast = autocast or contextlib.nullcontext
    model.eval()
    nats, tokens, text_nats, text_bytes = 0.0, 0, 0.0, 0
    with torch.no_grad():
        for x, y in batches:
            with autocast():
                logits, _ = model(x)
            losses = cross_entropy(logits.float(), y, ignore_index=ignore_index, reduction="none")  # noqa: F821
            nats += losses.sum().item()
            tokens += (y != ignore_index).sum().item()
            if token_bytes is not None:
                n, b = nats_and_bytes(losses, torch.where(y == ignore_index, -1, y), token_bytes)  # noqa: F821
                text_nats, text_bytes = text_nats + n.item(), text_bytes + b.item()
    out = {"loss": nats / tokens}
    if token_bytes is not None:
        out["bpb"] = bits_per_byte(text_nats, text_bytes)  # noqa: F821
    return out
