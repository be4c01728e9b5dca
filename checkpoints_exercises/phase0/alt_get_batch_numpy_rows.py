"""Alternative solution (commit 0.4, get_batch): numpy does the slicing and stacking. Draw the starts
with the generator, read each window of T+1 tokens into one (B, T+1) int64 numpy array, then view
its first T columns as x and its last T as y (torch.from_numpy shares the memory, no copy).

    python -m pytest -q --impl=reference --challenge=checkpoints_exercises/phase0/alt_get_batch_numpy_rows.py \
        --commit=0.4:get_batch phase0_tokenizer/tests
"""

TARGET = "phase0_tokenizer.data"
COMMIT = "0.4"
EXERCISE = "get_batch"

import numpy as np  # noqa: E402
import torch  # noqa: E402


def get_batch(data, batch_size, block_size, device="cpu", generator=None):
    dev = check_device(device)  # noqa: F821 (the reference's, in the module this file is loaded into)
    _check_window(data, batch_size, block_size, block_size + 1)  # noqa: F821
    starts = torch.randint(0, len(data) - block_size, (batch_size,), generator=generator).numpy()
    rows = np.empty((batch_size, block_size + 1), dtype=np.int64)
    for b, s in enumerate(starts):
        rows[b] = np.asarray(data[int(s):int(s) + block_size + 1])
    x, y = torch.from_numpy(rows[:, :-1].copy()), torch.from_numpy(rows[:, 1:].copy())
    return x.to(dev), y.to(dev)
