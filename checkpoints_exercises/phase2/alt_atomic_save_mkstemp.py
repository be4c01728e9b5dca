"""Alternative solution (commit 2.4, atomic_save): the recipe written out by hand instead of calling
phase 0's atomic_write: `tempfile.mkstemp(dir=path.parent)` picks a unique temp name IN THE TARGET'S
FOLDER, then torch.save, flush, fsync, os.replace, and the folder is fsynced so the rename survives
a power cut; on any error the temp file is removed and the old checkpoint is untouched."""

TARGET = "phase2_training.checkpoint"
COMMIT = "2.4"
EXERCISE = "atomic_save"


def atomic_save(obj, path):
    import os
    import tempfile
    from pathlib import Path

    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return path
