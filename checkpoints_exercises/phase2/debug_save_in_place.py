"""Debugging challenge ★★★ (commit 2.4): checkpoints save and load perfectly. Then the machine is
preempted during a save, and `--resume` fails: the newest checkpoint is a truncated zip and the
previous one was deleted. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase2/debug_save_in_place.py --commit 2.4
"""

TARGET = "phase2_training.checkpoint"
COMMIT = "2.4"
EXERCISE = "atomic_save"
SYMPTOM = "RuntimeError"  # torch.load of the truncated previous checkpoint


def atomic_save(obj, path):
    from pathlib import Path

    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:  # straight onto the real name: a crash leaves half a file there
        torch.save(obj, f)
    return path
