"""Restore exercise stubs (`make reset EX=0.2`), keeping a backup of the learner's file.

    python -m tools.reset 0.2          # every exercise of commit 0.2
    python -m tools.reset 0.2:merge    # one exercise

Only the selected regions are reset; the rest of the file (other commits' work)
is kept. The previous file is copied to .mnc-backups/<path>.<timestamp> first.
If the markers were deleted, the whole file is restored from the generated stub.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from tools.exercises import REPO_ROOT, Exercise, ExerciseFormatError, find_exercises, parse_regions, select, stub_body
from tools.stubgen import render_stub

BACKUP_DIR = REPO_ROOT / ".mnc-backups"


def backup(path: Path, backup_dir: Path = BACKUP_DIR) -> Path:
    """Copy `path` to backup_dir/<path with / as __>.<timestamp> and return the copy's path."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    try:
        name = path.resolve().relative_to(REPO_ROOT).as_posix().replace("/", "__")
    except ValueError:
        name = path.name
    dest = backup_dir / f"{name}.{stamp}"
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, dest)
    return dest


def reset_file(stub_path: Path, chosen: list[Exercise], backup_dir: Path = BACKUP_DIR) -> str:
    """Rewrite `stub_path` with the chosen regions restored; return what was done."""
    reference = chosen[0].path
    if not stub_path.exists():
        stub_path.write_text(render_stub(reference, root=reference.parent.parent), encoding="utf-8")
        return "created"
    lines = stub_path.read_text(encoding="utf-8").splitlines()
    try:
        regions = {r.key: r for r in parse_regions(stub_path, lines, module=chosen[0].stub_module)}
    except ExerciseFormatError:
        regions = {}
    if any(ex.key not in regions for ex in chosen):  # markers gone: fall back to the whole file
        saved = backup(stub_path, backup_dir)
        stub_path.write_text(render_stub(reference, root=reference.parent.parent), encoding="utf-8")
        return f"whole file restored (markers were missing), backup at {_show(saved)}"
    saved = backup(stub_path, backup_dir)
    # Replace from the bottom up so earlier line numbers stay valid.
    for ex in sorted(chosen, key=lambda e: regions[e.key].start, reverse=True):
        region = regions[ex.key]
        lines[region.start + 1:region.end] = stub_body(ex)
    tmp = stub_path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(stub_path)
    return f"{len(chosen)} region(s) reset, backup at {_show(saved)}"


def _show(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("selector", help="a commit '0.2' or one exercise '0.2:merge'")
    args = parser.parse_args(argv)
    if "." not in args.selector:
        print("Reset one commit at a time, e.g. `make reset EX=0.2` (a whole phase is too easy to lose).")
        return 2
    exercises = select(find_exercises(), args.selector)
    if not exercises:
        print(f"No exercise matches '{args.selector}'.")
        return 2
    by_file: dict[Path, list[Exercise]] = {}
    for ex in exercises:
        by_file.setdefault(ex.stub_path, []).append(ex)
    for stub_path, chosen in by_file.items():
        print(f"{stub_path.relative_to(REPO_ROOT)}: {reset_file(stub_path, chosen)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
