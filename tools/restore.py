"""Bring back a file that `make reset` backed up (`make restore EX=0.2`).

    python -m tools.restore 0.2               # list the backups of commit 0.2's files, restore the newest
    python -m tools.restore 0.2 --list        # only list them
    python -m tools.restore 0.2 --pick 3      # restore backup number 3 of the list
    python -m tools.restore 0.2 --pick phase0_tokenizer__exercises__bpe.py.20261202-014501-123456.000

Restoring writes the whole backed-up file over the learner's file (every region
in it, not just commit 0.2's), after backing up the current file the same way,
so a restore is itself undoable.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.exercises import find_exercises, select
from tools.reset import BACKUP_DIR, _show, backup, backup_prefix, write_atomic


def backups_of(path: Path, backup_dir: Path = BACKUP_DIR) -> list[Path]:
    """The backups of one learner file, oldest first (the names sort by time, then counter)."""
    prefix = backup_prefix(path) + "."
    if not backup_dir.is_dir():
        return []
    return sorted(p for p in backup_dir.iterdir() if p.name.startswith(prefix) and p.is_file())


def restore(path: Path, chosen: Path, backup_dir: Path = BACKUP_DIR) -> Path:
    """Back up the current `path`, then put `chosen` in its place; return the new backup."""
    saved = backup(path, backup_dir) if path.exists() else None
    write_atomic(path, chosen.read_text(encoding="utf-8"))
    return saved


def main(argv: list[str] | None = None, backup_dir: Path = BACKUP_DIR) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("selector", help="a commit '0.2' or one exercise '0.2:merge' (its file is restored)")
    parser.add_argument("--list", action="store_true", help="list the backups, restore nothing")
    parser.add_argument("--pick", default=None, help="the number shown by --list, or a backup file name")
    args = parser.parse_args(argv)
    exercises = select(find_exercises(), args.selector) if "." in args.selector else []
    if not exercises:
        print(f"No exercise matches '{args.selector}'. Give a commit, e.g. `make restore EX=0.2`.")
        return 2
    files = list(dict.fromkeys(ex.stub_path for ex in exercises))
    listing = [(f, b) for f in files for b in backups_of(f, backup_dir)]
    if not listing:
        print(f"No backups of {', '.join(_show(f) for f in files)} in {_show(backup_dir)}.")
        return 0 if args.list else 1
    for i, (_, b) in enumerate(listing, 1):
        print(f"  {i:3d}  {b.name}")
    if args.list:
        return 0
    if args.pick is None:
        if len(files) > 1:
            print(f"Commit {args.selector} has {len(files)} files: pick one backup with --pick N (PICK=N).")
            return 2
        target, chosen = listing[-1]
    elif args.pick.isdigit() and 1 <= int(args.pick) <= len(listing):
        target, chosen = listing[int(args.pick) - 1]
    else:
        match = [(f, b) for f, b in listing if b.name == args.pick]
        if not match:
            print(f"No backup {args.pick!r}: give a number or a name from the list above.")
            return 2
        target, chosen = match[0]
    saved = restore(target, chosen, backup_dir)
    print(f"restored {_show(target)} from {chosen.name}"
          + (f"; the file it replaced is backed up as {saved.name}" if saved else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
