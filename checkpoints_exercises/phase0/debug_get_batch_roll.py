"""Debugging challenge ★★★ (commit 0.4): training runs and the loss goes down, but it plateaus a
little higher than the reference, and generated text is subtly worse at the end of each window.
The targets *look* shifted by one. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_get_batch_roll.py --commit 0.4
"""

TARGET = "phase0_tokenizer.data"
COMMIT = "0.4"
EXERCISE = "get_batch"

import numpy as np  # noqa: E402
import torch  # noqa: E402


def get_batch(data, batch_size, block_size, device="cpu", generator=None):
    dev = check_device(device)  # noqa: F821 (the reference's, in the module this file is loaded into)
    _check_window(data, batch_size, block_size, block_size + 1)  # noqa: F821
    starts = torch.randint(len(data) - block_size, (batch_size,), generator=generator).tolist()
    x = torch.stack([torch.from_numpy(np.asarray(data[i:i + block_size], dtype=np.int64)) for i in starts])
    y = torch.roll(x, shifts=-1, dims=1)  # the next token of every position
    return x.to(dev), y.to(dev)
