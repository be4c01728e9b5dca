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
- Trusted: after the checkpoint, a sidecar `step_000500.pt.sha256` (written atomically too)
  records the SHA-256 of its bytes. load_checkpoint verifies it, and that every weight is
  finite, so a file changed after it was written (a flipped byte inside a valid zip loads
  "fine" with torch) is refused with the name of the previous good one, and `--resume`
  falls back to the newest checkpoint that verifies (newest_good_checkpoint). A file
  without a sidecar (copied by hand, older code) still loads: the checksum guards the
  bytes we wrote, it is not a signature.
- Disk full while saving: the temp file is removed, the older checkpoints are untouched,
  and the error (DiskFullError) says so and names the newest intact one.
- Exact resume needs more than weights: Adam's moments, the step (for the LR
  schedule), every RNG, and where the data loader stands (resume.py captures and
  restores them). With all of them the resumed run's losses equal the uninterrupted
  run's bit for bit on CPU.
"""

from __future__ import annotations

import errno
import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

from phase0_tokenizer.atomic import atomic_write, atomic_write_text
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
    return atomic_write(path, lambda f: torch.save(obj, f))  # the one atomic writer: phase 0's


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
    stale = list(directory.glob(".step_*.pt*.tmp-*")) if directory.is_dir() else []
    for p in stale:
        p.unlink(missing_ok=True)
    return stale


class DiskFullError(CheckpointError):
    """The disk filled up while a checkpoint was written; the older checkpoints are intact."""


def checksum_path(path: str | Path) -> Path:
    """The sidecar holding a checkpoint's SHA-256: step_000500.pt -> step_000500.pt.sha256."""
    path = Path(path)
    return path.with_name(path.name + ".sha256")


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB pieces (a 6 GB checkpoint never sits in memory twice)."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            h.update(chunk)
    return h.hexdigest()


def checksum_problem(path: str | Path) -> str | None:
    """Why `path`'s bytes cannot be trusted (a sidecar that disagrees or is unreadable), or None.
    No sidecar is not a problem: files from older code or copied by hand carry none."""
    sidecar = checksum_path(path)
    if not sidecar.is_file():
        return None
    try:
        recorded = sidecar.read_text(encoding="ascii").split()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        return f"its checksum file {sidecar.name} is unreadable"
    actual = file_digest(path)
    if actual != recorded:
        return (f"its content does not match its checksum (SHA-256 {actual[:12]}..., {sidecar.name} says "
                f"{recorded[:12]}...): the file changed after it was written")
    return None


def _disk_full(e: BaseException) -> bool:
    """torch.save reports a failed write as RuntimeError('... unexpected pos ...'), not OSError."""
    return (isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT)) or \
        (isinstance(e, RuntimeError) and ("unexpected pos" in str(e) or "No space left" in str(e)))


def save_checkpoint(directory: str | Path, state: dict, keep: int | None = None) -> Path:
    """Write state (must hold REQUIRED keys) as step_<step>.pt, atomically, then its SHA-256 sidecar;
    keep only the newest `keep` (the one just written, verified finite by the trainer, is always kept)."""
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise ValueError(f"checkpoint state lacks {missing}; see phase2_training.checkpoint.REQUIRED")
    path = checkpoint_path(directory, state["step"])
    written = False
    try:
        atomic_save({"format": FORMAT_NAME, "version": FORMAT_VERSION, **state}, path)
        written = True
        # the sidecar comes second: a kill between the two leaves a checkpoint without a sidecar (trusted
        # as a hand-copied file is), never a sidecar describing bytes that are not there
        atomic_write_text(checksum_path(path), f"{file_digest(path)}  {path.name}\n")
    except (OSError, RuntimeError) as e:
        if not _disk_full(e):
            raise
        if written:  # the new checkpoint landed but its sidecar could not: drop both halves of the pair
            path.unlink(missing_ok=True)
            checksum_path(path).unlink(missing_ok=True)
        remove_stale_temp_files(directory)  # (a failed atomic_save left the old file of this name alone)
        previous = [p for _, p in list_checkpoints(directory)]
        intact = (f"the previous checkpoint {previous[-1]} is intact" if previous
                  else "no earlier checkpoint exists")
        raise DiskFullError(f"disk full while writing {path}: nothing half-written was left behind and {intact}. "
                            "Free some space (or lower --keep_checkpoints), then continue with --resume") from None
    if keep:
        for _, old in list_checkpoints(directory)[:-keep]:
            old.unlink(missing_ok=True)
            checksum_path(old).unlink(missing_ok=True)
    return path


def newest_good_checkpoint(directory: str | Path, log: Callable = lambda *a, **k: None,
                           before: Path | None = None) -> tuple[Path, dict] | None:
    """(path, state) of the newest checkpoint in `directory` that loads and verifies, or None.
    Each one skipped is reported through `log` with the reason; `before` starts below that file."""
    limit = int(m[1]) if before is not None and (m := STEP_FILE.match(before.name)) else None
    found = [p for step, p in list_checkpoints(directory) if limit is None or step < limit]
    for path in reversed(found):
        try:
            return path, _load_file(path)
        except CheckpointError as e:
            log(f"skipping {path}: {e}")
    return None


def newest_verified(directory: Path, log: Callable = lambda *a, **k: None) -> tuple[Path, dict]:
    """(path, state) of the newest checkpoint in `directory` that verifies; each one skipped on the way
    goes to `log` with its reason. CheckpointError, listing the reasons, if none does (or none exists)."""
    if latest_checkpoint(directory) is None:
        raise CheckpointError(f"no step_*.pt checkpoint in {directory}: train first, or point at a file")
    skipped: list[str] = []
    good = newest_good_checkpoint(directory, skipped.append)
    if good is None:
        raise CheckpointError(f"no checkpoint in {directory} verifies: " + "; ".join(skipped))
    for line in skipped:
        log(line)
    return good


def _previous_good(path: Path) -> str:
    """A sentence naming the newest checkpoint older than `path` that verifies (for error messages)."""
    good = newest_good_checkpoint(path.parent, before=path)
    return (f"the previous good checkpoint is {good[0]}: load that one, or --resume (which falls back to it)"
            if good else "no earlier checkpoint verifies: start a fresh run")


def check_finite(path: Path, model_state: dict) -> None:
    """CheckpointError if any floating-point weight holds nan/inf (one reduction per tensor, at load only)."""
    bad = [k for k, t in model_state.items()
           if isinstance(t, torch.Tensor) and t.is_floating_point() and not bool(torch.isfinite(t).all())]
    if bad:
        raise CheckpointError(f"{path} holds non-finite weights (nan/inf in {len(bad)} tensor(s), e.g. {bad[0]}); "
                              "a run that diverged wrote it")


def load_checkpoint(path: str | Path, log: Callable = lambda *a, **k: None) -> dict:
    """Read and check a checkpoint written by save_checkpoint: its checksum sidecar, phase 1's read_checkpoint
    (weights_only, onto the CPU: move tensors afterwards, so a GPU checkpoint resumes anywhere), the
    training keys, finite weights. Given a folder: its newest checkpoint that verifies (skips go to `log`)."""
    path = Path(path)
    if path.is_dir():
        return newest_verified(path, log)[1]
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}: check the path (checkpoints live in <out_dir>/checkpoints)")
    try:
        return _load_file(path)
    except CheckpointError as e:
        raise CheckpointError(f"{e}; {_previous_good(path)}") from None


def _load_file(path: Path) -> dict:
    problem = checksum_problem(path)
    if problem:
        raise CheckpointError(f"{path} cannot be trusted: {problem}")
    state = read_checkpoint(path)
    if state.get("format") != FORMAT_NAME:
        raise CheckpointError(f"{path} is not a {FORMAT_NAME!r} file (a bare model checkpoint of phase 1 "
                              "loads with GPT.from_checkpoint instead)")
    if state.get("version") != FORMAT_VERSION:
        raise CheckpointError(f"{path} is checkpoint format v{state.get('version')}, this code reads "
                              f"v{FORMAT_VERSION}: use the course version that wrote it")
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise CheckpointError(f"{path} lacks {missing}: it was not written by save_checkpoint")
    check_finite(path, state["model"])
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


LOCAL_STATE = StateDictFns()  # one process: plain state_dict / load_state_dict
