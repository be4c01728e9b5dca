"""Debugging challenge ★★★ (commit 2.4): on a laptop every save is atomic. On the cluster, where
`/tmp` is a local disk and the run folder is on a network file system, a job killed during a save
leaves a truncated newest checkpoint, and saves got slower. Find the bug; which test catches it?

    python -m tools.challenges debug_save_via_system_temp
"""

TARGET = "phase2_training.checkpoint"
COMMIT = "2.4"
EXERCISE = "atomic_save"


def atomic_save(obj, path):
    import os
    import shutil
    import tempfile
    from pathlib import Path

    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".pt")  # in tempfile.gettempdir(): maybe another file system
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        shutil.move(tmp, path)  # a rename when it can, else copy the bytes onto `path` and delete tmp
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
