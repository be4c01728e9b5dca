"""Debugging challenge ★★★ (commit 2.2): with `--dtype=bf16` training runs at bf16 speed, but
every evaluation is as slow as in float32 and on a GPU it needs twice the activation memory;
the val loss is a hair off the bf16 train loss for no reason. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase2/debug_eval_ignores_autocast.py --commit 2.2
"""

TARGET = "phase2_training.evaluate"
COMMIT = "2.2"
EXERCISE = "evaluate"


def evaluate(model, batches, token_bytes=None, ignore_index=-1, autocast=None):
    import torch

    with torch.no_grad(), eval_mode(model):  # noqa: F821 (the module's own helper: this file runs inside a copy)
        nats, tokens, text_nats, text_bytes = 0.0, 0, 0.0, 0
        for x, y in batches:
            logits, _ = model(x)  # evaluation "does not need" the precision context...
            losses = cross_entropy(logits.float(), y, ignore_index=ignore_index, reduction="none")  # noqa: F821
            nats += losses.sum().item()
            tokens += (y != ignore_index).sum().item()
            if token_bytes is not None:
                n, b = nats_and_bytes(losses, torch.where(y == ignore_index, -1, y), token_bytes)  # noqa: F821
                text_nats, text_bytes = text_nats + n.item(), text_bytes + b.item()
        if tokens == 0:
            raise ValueError("evaluate() got no target tokens")
        out = {"loss": nats / tokens}
        if token_bytes is not None:
            out["bpb"] = bits_per_byte(text_nats, text_bytes)  # noqa: F821
        return out
