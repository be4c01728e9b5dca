"""Checkpoints: one file per step holding everything a run needs to continue exactly (ADR 012).

    runs/tiny/checkpoints/step_000500.pt  = {format, version, step, model, optimizer, rng,
                                             loader, config, model_config, tokenizer, metrics}

- One file, not model/optimizer/meta side by side (nanochat writes three): a step
  is either entirely on disk or not at all.
- Atomic: write `.step_000500.pt.tmp-<pid>`, flush, fsync, then os.replace onto the
  final name. A rename within one directory is atomic on POSIX and Windows, so a
  kill at any instant leaves either the old file set or the new one, never half a
  checkpoint under a real name (a test kills a real process mid-save).
- Safe to load: torch.load(weights_only=True) unpickles tensors and plain
  containers only, never arbitrary objects; so everything inside is kept plain
  (config as a dict, RNG states as tensors and lists).
- Exact resume needs more than weights: Adam's moments, the step (for the LR
  schedule), every RNG, and where the data loader stands. With all of them the
  resumed run's losses equal the uninterrupted run's bit for bit on CPU.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import torch

FORMAT_NAME, FORMAT_VERSION = "mini-nanochat checkpoint", 1
STEP_FILE = re.compile(r"^step_(\d+)\.pt$")
REQUIRED = ("step", "model", "optimizer", "rng", "loader", "config", "model_config", "tokenizer")


class CheckpointError(RuntimeError):
    """A checkpoint that is missing, corrupt, foreign or incompatible; the message names the fix."""


def atomic_save(obj, path: str | Path) -> Path:
    """torch.save(obj) to `path` so that readers see the old file or the complete new one, never a part."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # >>> exercise 2.4 atomic_save: torch.save to a temp file in the same dir; fsync; os.replace; unlink tmp on error
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")  # same directory: rename stays atomic
    try:
        with open(tmp, "wb") as f:
            torch.save(obj, f)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the name points at them
        os.replace(tmp, path)     # atomic: the old file until here, the new one after
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)       # make the rename itself durable across a power cut
    return path
    # <<< exercise 2.4 atomic_save


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # Windows cannot open a directory; its rename is durable enough
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def checkpoint_path(directory: str | Path, step: int) -> Path:
    return Path(directory) / f"step_{step:06d}.pt"


def list_checkpoints(directory: str | Path) -> list[tuple[int, Path]]:
    """(step, path) of every complete checkpoint in `directory`, oldest first; temp files are ignored."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(int(m[1]), p) for p in directory.iterdir() if (m := STEP_FILE.match(p.name))]
    return sorted(found)


def latest_checkpoint(directory: str | Path) -> Path | None:
    found = list_checkpoints(directory)
    return found[-1][1] if found else None


def remove_stale_temp_files(directory: str | Path) -> list[Path]:
    """Delete `.step_*.tmp-*` leftovers of saves that were killed; returns what was removed."""
    directory = Path(directory)
    stale = list(directory.glob(".step_*.pt.tmp-*")) if directory.is_dir() else []
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


def save_checkpoint(directory: str | Path, state: dict, keep: int | None = None) -> Path:
    """Write state (must hold REQUIRED keys) as step_<step>.pt, atomically; keep only the newest `keep`."""
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise ValueError(f"checkpoint state lacks {missing}; see phase2_training.checkpoint.REQUIRED")
    path = atomic_save({"format": FORMAT_NAME, "version": FORMAT_VERSION, **state},
                       checkpoint_path(directory, state["step"]))
    if keep:
        for _, old in list_checkpoints(directory)[:-keep]:
            old.unlink(missing_ok=True)
    return path


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict:
    """Read and check a checkpoint written by save_checkpoint (weights_only: no code runs on load)."""
    path = Path(path)
    if path.is_dir():
        latest = latest_checkpoint(path)
        if latest is None:
            raise CheckpointError(f"no step_*.pt checkpoint in {path}: train first, or point at a file")
        path = latest
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}: check the path (checkpoints live in <out_dir>/checkpoints)")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:  # truncated zip, foreign pickle, ...
        raise CheckpointError(f"{path} is corrupt or not a torch checkpoint ({type(e).__name__}: {e}); "
                              "delete it and resume from the previous one") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path} is not a {FORMAT_NAME!r} file (phase 1's GPT.checkpoint_state files "
                              "load with GPT.from_checkpoint instead)")
    if state.get("version") != FORMAT_VERSION:
        raise CheckpointError(f"{path} is checkpoint format v{state.get('version')}, this code reads "
                              f"v{FORMAT_VERSION}: use the course version that wrote it")
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise CheckpointError(f"{path} lacks {missing}: it was not written by save_checkpoint")
    return state
