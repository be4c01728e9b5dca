"""Debugging challenge ★★★ (commit 0.4): two runs with the same --seed train on different batches and
end at different losses, although every batch looks right: windows contiguous, targets shifted by
one, every start possible. Passing a seeded generator changes nothing. Find the bug; which test
catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_get_batch_global_rng.py --commit 0.4:get_batch
"""

TARGET = "phase0_tokenizer.data"
COMMIT = "0.4"
EXERCISE = "get_batch"

import torch  # noqa: E402


def get_batch(data, batch_size, block_size, device="cpu", generator=None):
    dev = check_device(device)  # noqa: F821 (the reference's, in the module this file is loaded into)
    _check_window(data, batch_size, block_size, block_size + 1)  # noqa: F821
    starts = torch.randint(len(data) - block_size, (batch_size,)).tolist()  # random enough?
    rows = _rows(data, starts, block_size + 1)  # noqa: F821
    return rows[:, :-1].contiguous().to(dev), rows[:, 1:].contiguous().to(dev)
