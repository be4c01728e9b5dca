"""Debugging challenge ★★★ (commit 2.4): a run on a nearly full disk keeps failing its saves and
retrying. The checkpoints that exist are fine, but the folder fills up with hidden `.tmp` files
until nothing can be written at all. Find the bug; which test catches it?

    python -m tools.challenges debug_save_leaves_temp_on_error
"""

TARGET = "phase2_training.checkpoint"
COMMIT = "2.4"
EXERCISE = "atomic_save"


def atomic_save(obj, path):
    import os
    from pathlib import Path

    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:  # same folder, fsync, os.replace: all right; but if torch.save raises...
        torch.save(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path
