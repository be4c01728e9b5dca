"""Debugging challenge ★★★ (commit 2.4): every test of the saves passes and a killed process never
leaves a broken checkpoint. Then the machine loses power a second after a save: on reboot the
newest `step_*.pt` exists, with its full name, and holds zero bytes. Find the bug; which test
catches it?

    python -m tools.challenges debug_save_without_fsync
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
    try:
        with open(tmp, "wb") as f:
            torch.save(obj, f)  # "close() writes it all out": to the page cache, not to the disk
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
