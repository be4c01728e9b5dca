"""One way to write a file so that a reader sees the old file or the complete new one, never a part.

    atomic_write(path, lambda f: f.write(data))      # any writer of a binary file object
    atomic_write_bytes(path, data)
    atomic_write_text(path, text)

The recipe (the same one every later phase uses; checkpoints in phase 2 call it):

    1. write to a temporary file in the SAME directory (a rename across file systems is a copy)
    2. flush and fsync it: the bytes are on disk before any name points at them
    3. os.replace(tmp, path): atomic on POSIX and Windows, the old file until here, the new one after
    4. fsync the directory: the rename itself survives a power cut
    5. on any error (or Ctrl-C) the temporary file is removed and the old file is left alone

The temporary name `.<name>.tmp-<pid>` starts with a dot and carries the process id,
so two processes never write the same temporary file and directory listings skip it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def temp_path(path: str | Path) -> Path:
    """Where atomic_write puts the bytes before the rename (same directory, hidden, per process)."""
    path = Path(path)
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def atomic_write(path: str | Path, write: Callable[[BinaryIO], object]) -> Path:
    """Call write(f) on a temporary binary file next to `path`, then move it onto `path` atomically."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    return atomic_write(path, lambda f: f.write(data))


def atomic_write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    return atomic_write(path, lambda f: f.write(text.encode(encoding)))


def fsync_dir(directory: str | Path) -> None:
    """fsync a directory so a rename in it is durable (a no-op where directories cannot be opened)."""
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
