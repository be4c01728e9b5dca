"""Debugging challenge ★★★ (commit 2.2): checkpoint 2 passes in record time: the loss on 1000
sentences drops below 0.1 in a handful of epochs, far faster than the reference. Then the model's
samples are one token repeated forever. Too good to be true; find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase2/debug_off_by_one_targets.py --commit 2.2
"""

TARGET = "phase2_training.batching"
COMMIT = "2.2"
EXERCISE = "pack_rows"


def pack_rows(ids, block_size):
    import torch

    ids = torch.as_tensor(ids, dtype=torch.long).flatten()
    n = (len(ids) - 1) // block_size
    if n < 1:
        raise ValueError(f"{len(ids)} tokens cannot fill one row of block_size={block_size} plus its target")
    x = ids[:n * block_size].view(n, block_size)
    y = ids[:n * block_size].view(n, block_size)
    return x, y
