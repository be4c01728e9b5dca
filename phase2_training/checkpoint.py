"""Checkpoints: one file per step holding everything a run needs to continue exactly (ADR 012).

    runs/tiny/checkpoints/step_000500.pt  = {model_config, model,                 <- phase 1's format
                                             format, version, step, optimizer, rng, loader,
                                             train_config, tokenizer, metrics[, scaler]}

Phase 1 owns the two model keys (GPT.checkpoint_state / GPT.from_checkpoint read them), so
any trainer checkpoint also loads as a bare model. Phase 4 changes nothing here: it hands the
trainer functions that gather sharded state into these same plain dicts (StateDictFns).

- One file, not model/optimizer/meta side by side (nanochat writes three): a step
  is either entirely on disk or not at all.
- Atomic: phase 0's atomic_write (`.step_000500.pt.tmp-<pid>`, fsync, os.replace,
  fsync of the directory). A kill at any instant leaves either the old file set or
  the new one, never half a checkpoint under a real name (a test kills a real process
  mid-save).
- Safe to load: phase 1's read_checkpoint, torch.load(weights_only=True) onto the CPU,
  unpickles tensors and plain containers only, never arbitrary objects; so everything
  inside is kept plain (config as a dict, RNG states as tensors and lists).
- Exact resume needs more than weights: Adam's moments, the step (for the LR
  schedule), every RNG, and where the data loader stands. With all of them the
  resumed run's losses equal the uninterrupted run's bit for bit on CPU.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from phase0_tokenizer.atomic import atomic_write
from phase1_model.gpt import CheckpointError, load_weights, read_checkpoint

FORMAT_NAME, FORMAT_VERSION = "mini-nanochat checkpoint", 2
STEP_FILE = re.compile(r"^step_(\d+)\.pt$")
REQUIRED = ("step", "model", "optimizer", "rng", "loader", "train_config", "model_config", "tokenizer")


def atomic_save(obj, path: str | Path) -> Path:
    """torch.save(obj) to `path` so that readers see the old file or the complete new one, never a part.

    Creates missing parent folders; returns `path` as a Path. The bytes go to a temporary file in
    path's own directory (a rename across file systems is a copy, not atomic), are flushed and
    os.fsync'ed, then os.replace'd onto `path`; if anything raises, the temporary file is removed,
    the old file at `path` is left as it was, and the error propagates.
    """
    # >>> exercise 2.4 atomic_save: hand phase 0's atomic writer a function that serialises obj with torch
    return atomic_write(path, lambda f: torch.save(obj, f))
    # <<< exercise 2.4 atomic_save


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


def load_checkpoint(path: str | Path) -> dict:
    """Read and check a checkpoint written by save_checkpoint: phase 1's read_checkpoint (weights_only,
    onto the CPU: move tensors afterwards, so a GPU checkpoint resumes anywhere), then the training keys."""
    path = Path(path)
    if path.is_dir():
        latest = latest_checkpoint(path)
        if latest is None:
            raise CheckpointError(f"no step_*.pt checkpoint in {path}: train first, or point at a file")
        path = latest
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}: check the path (checkpoints live in <out_dir>/checkpoints)")
    try:
        state = read_checkpoint(path)
    except CheckpointError as e:
        raise CheckpointError(f"{e}; delete it and resume from the previous one") from None
    if state.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path} is not a {FORMAT_NAME!r} file (a bare model checkpoint of phase 1 "
                              "loads with GPT.from_checkpoint instead)")
    if state.get("version") != FORMAT_VERSION:
        raise CheckpointError(f"{path} is checkpoint format v{state.get('version')}, this code reads "
                              f"v{FORMAT_VERSION}: use the course version that wrote it")
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise CheckpointError(f"{path} lacks {missing}: it was not written by save_checkpoint")
    return state


def load_local_state(model, optimizer, model_state: dict, optimizer_state: dict) -> None:
    """Load full states into a model and optimizer that live in one process (tensors move to their device)."""
    load_weights(model, model_state)
    optimizer.load_state_dict(optimizer_state)


@dataclass(frozen=True)
class StateDictFns:
    """How the trainer turns its model and optimizer into checkpoint dicts and back.

    Phase 2's are the plain state_dict calls. Phase 4 passes functions that gather sharded state
    (FSDP, ZeRO-1) into the same full dicts and scatter it back: collectives every rank calls."""
    model_state: Callable = lambda model: model.state_dict()
    optimizer_state: Callable = lambda model, optimizer: optimizer.state_dict()
    load: Callable = load_local_state
