"""Debugging challenge ★★★ (commit 0.4): with a seeded generator, batches are reproducible, as the
docstring promises. The training script calls get_batch(data, B, T) without one, and the loss
falls fast, then stalls far above where it should be; the model can recite a few dozen passages
and nothing else. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_get_batch_fixed_seed.py --commit 0.4:get_batch
"""

TARGET = "phase0_tokenizer.data"
COMMIT = "0.4"
EXERCISE = "get_batch"

import torch  # noqa: E402


def get_batch(data, batch_size, block_size, device="cpu", generator=None):
    dev = check_device(device)  # noqa: F821 (the reference's, in the module this file is loaded into)
    _check_window(data, batch_size, block_size, block_size + 1)  # noqa: F821
    if generator is None:  # reproducible by default
        generator = torch.Generator().manual_seed(0)
    starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator).tolist()
    rows = _rows(data, starts, block_size + 1)  # noqa: F821
    return rows[:, :-1].contiguous().to(dev), rows[:, 1:].contiguous().to(dev)
