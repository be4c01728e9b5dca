"""Debugging challenge ★★★ (commit 4.2): the loss curve on 8 GPUs matches the single-GPU run
exactly, and yet raising gradient accumulation from 1 to 8 made each step almost 8x slower
instead of ~1x per micro-batch. The profiler shows the network busy all the time. Find the bug;
which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase4/debug_sync_every_micro_batch.py --commit 4.2
"""

TARGET = "phase4_distributed.ddp"
COMMIT = "4.2"
EXERCISE = "accumulate_gradients"


def accumulate_gradients(model, micro_batches, loss_fn=None):
    """Forward + backward over every micro-batch, gradients summed in .grad and synchronised ONCE."""
    import torch
    loss_fn = loss_fn or model_loss  # noqa: F821 (the module's own model_loss)
    micro_batches = list(micro_batches)
    n = len(micro_batches)
    total = torch.zeros(())
    for x, y in micro_batches:
        loss = loss_fn(model, x, y)
        (loss / n).backward()
        total = total.to(loss.device) + loss.detach()
    return total / n
