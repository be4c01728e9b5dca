"""Debugging challenge ★★ (commit 0.4): a run on a small corpus trains happily for a whole epoch,
then crashes one step later in torch.stack ("expected a non-empty list of Tensors"); a run resumed
from the checkpoint saved at the end of the epoch reads the windows of the old epoch again.
Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_loader_epoch_off_by_one.py --commit 0.4
"""

TARGET = "phase0_tokenizer.data"
COMMIT = "0.4"
EXERCISE = "next_batch"


def __next__(self):
    B, T = self.batch_size, self.block_size
    if self.step > self.steps_per_epoch:  # wrap lazily, when a batch past the epoch is asked for
        self.epoch, self.step = self.epoch + 1, 0
    first = (self.step * self.world_size + self.rank) * B
    windows = self.order(self.epoch)[first:first + B]
    rows = _rows(self.data, [int(w) * T for w in windows], T + 1)  # noqa: F821
    self.step += 1
    return _to(rows[:, :-1].contiguous(), self.device), _to(rows[:, 1:].contiguous(), self.device)  # noqa: F821


SequentialLoader.__next__ = __next__  # noqa: F821 (the copy's class, in the module this file is loaded into)
