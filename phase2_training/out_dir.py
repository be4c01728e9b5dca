"""The run folder is the run: one trainer at a time, and a fresh run never overwrites an old one.

    with claim_out_dir(cfg.out_dir, resume=cfg.resume, overwrite=cfg.overwrite, log=print):
        ... build the trainer, train ...

What the trainer's command line does before it builds anything (phase2_training/train.py `run`):

- out_dir must be a folder we can write (an empty --out_dir= or a path under a file is a
  config error, found before minutes of data preparation, not at the first checkpoint);
- a lock: `<out_dir>/.trainer.lock`, held with the `filelock` library (an OS lock, released
  by the kernel when the process dies, so a lock left by a killed run is stale and simply
  taken over). A second trainer on the same folder stops at once; the message names the lock
  file and the PID written in `<out_dir>/.trainer.pid` by the owner;
- a fresh run (no --resume) into a folder that already holds a run stops with a message:
  continue it with --resume, pick a new --out_dir, or pass --overwrite, which MOVES the old
  run aside to `<out_dir>.old-<timestamp>/` (never deletes it).

Only rank 0 of a multi-process run claims the folder; the other ranks check it read-only.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from phase1_model.config import ConfigError

LOCK_FILE, PID_FILE = ".trainer.lock", ".trainer.pid"
OURS = (LOCK_FILE, PID_FILE)  # what the lock itself adds: it does not make a folder "hold a run"


def check_writable(folder: str | Path, key: str) -> Path:
    """Create `folder` if needed and prove we can write in it; ConfigError naming --key otherwise."""
    folder = Path(folder)
    probe = folder / f".write-test-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        raise ConfigError(f"--{key}={folder} is not a writable folder ({e.strerror or e}): choose another "
                          f"--{key}") from None
    return folder


def run_files(out_dir: Path) -> list[str]:
    """Names of what out_dir holds besides the lock (empty: nothing to protect)."""
    return sorted(p.name for p in out_dir.iterdir() if p.name not in OURS) if out_dir.is_dir() else []


def _refuse_fresh_run(out_dir: Path, found: list[str]) -> ConfigError:
    shown = ", ".join(found[:4]) + (", ..." if len(found) > 4 else "")
    return ConfigError(f"--out_dir={out_dir} already holds a run ({shown}) and this is a fresh run: continue it "
                       f"with --resume, choose a new --out_dir, or pass --overwrite to move the old run aside to "
                       f"{out_dir}.old-<timestamp> (nothing is deleted)")


def move_aside(out_dir: Path) -> Path:
    """Move every run file of out_dir (not the lock we hold) into a new `<out_dir>.old-<timestamp>/`."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    old = out_dir.with_name(f"{out_dir.name}.old-{stamp}")
    n = 1
    while old.exists():  # two overwrites in one second
        n += 1
        old = out_dir.with_name(f"{out_dir.name}.old-{stamp}-{n}")
    old.mkdir()
    for name in run_files(out_dir):
        os.replace(out_dir / name, old / name)  # a rename in the same file system: instant, nothing copied
    return old


def check_fresh(out_dir: str | Path, resume: bool, overwrite: bool) -> None:
    """The read-only half (non-zero ranks): refuse a fresh run into a folder that holds one."""
    out_dir = Path(out_dir)
    if resume and overwrite:
        raise ConfigError("--resume and --overwrite contradict each other: --resume continues the run in "
                          "--out_dir, --overwrite moves it aside and starts afresh")
    if not resume and not overwrite and (found := run_files(out_dir)):
        raise _refuse_fresh_run(out_dir, found)


@contextlib.contextmanager
def claim_out_dir(out_dir: str | Path, resume: bool = False, overwrite: bool = False,
                  log: Callable = print) -> Iterator[Path]:
    """Lock out_dir for this process, refuse or move aside an old run, release the lock on exit."""
    created = not Path(out_dir).exists()
    out_dir = check_writable(out_dir, "out_dir")
    lock_path = out_dir / LOCK_FILE
    lock = FileLock(lock_path, timeout=0)
    try:
        lock.acquire()
    except Timeout:
        try:
            owner = (out_dir / PID_FILE).read_text().strip() or "unknown"
        except OSError:
            owner = "unknown"
        raise ConfigError(f"another trainer (PID {owner}) is using --out_dir={out_dir}: it holds the lock "
                          f"{lock_path}. Wait for it to finish, stop it, or choose another --out_dir") from None
    try:
        (out_dir / PID_FILE).write_text(f"{os.getpid()}\n")  # for the message a second trainer prints
        check_fresh(out_dir, resume, overwrite)
        if overwrite and run_files(out_dir):
            old = move_aside(out_dir)
            log(f"--overwrite: moved the previous run in {out_dir} to {old}")
        yield out_dir
    finally:
        (out_dir / PID_FILE).unlink(missing_ok=True)
        lock.release()
        if created and not run_files(out_dir):  # a run that failed before writing anything leaves no folder
            with contextlib.suppress(OSError):
                (out_dir / LOCK_FILE).unlink()
                out_dir.rmdir()
