"""Restore exercise stubs (`make reset EX=0.2`), keeping a backup of the learner's file.

    python -m tools.reset 0.2          # every exercise of commit 0.2
    python -m tools.reset 0.2:merge    # one exercise

Only the selected regions are reset; the rest of the file (other commits' work)
is kept. The previous file is copied to .mnc-backups/<path>.<timestamp> first,
under a name no other backup has (microseconds plus a counter, created with
O_EXCL), so two resets in the same second keep both versions. `make restore`
(tools/restore.py) brings a backup back. If the markers were deleted, the whole
file is restored from the generated stub.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

from tools.exercises import REPO_ROOT, Exercise, ExerciseFormatError, find_exercises, parse_regions, select, stub_body
from tools.stubgen import render_stub

BACKUP_DIR = REPO_ROOT / ".mnc-backups"


def backup_prefix(path: Path) -> str:
    """'phase0_tokenizer__exercises__bpe.py': a learner file's name in the backup folder."""
    try:
        return path.resolve().relative_to(REPO_ROOT.resolve()).as_posix().replace("/", "__")
    except ValueError:
        return path.name


def backup(path: Path, backup_dir: Path = BACKUP_DIR) -> Path:
    """Copy `path` to backup_dir/<prefix>.<YYYYmmdd-HHMMSS-micro>.<n> and return the copy's path.

    The name is claimed with O_CREAT|O_EXCL, so an existing backup is never overwritten: if the
    name is taken (two resets in the same microsecond, or a clock set back), the counter n grows.
    """
    data = path.read_bytes()
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    for n in range(10_000):
        dest = backup_dir / f"{backup_prefix(path)}.{stamp}.{n:03d}"
        try:
            fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            continue
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # the backup is on disk before the learner's file is rewritten
        return dest
    raise RuntimeError(f"could not find a free backup name in {backup_dir}")


def write_atomic(path: Path, text: str) -> None:
    """Replace `path` by `text` all at once (a crash leaves the old file or the new one, not half)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def reset_file(stub_path: Path, chosen: list[Exercise], backup_dir: Path = BACKUP_DIR) -> str:
    """Rewrite `stub_path` with the chosen regions restored; return what was done."""
    reference = chosen[0].path
    if not stub_path.exists():
        write_atomic(stub_path, render_stub(reference, root=reference.parent.parent))
        return "created"
    lines = stub_path.read_text(encoding="utf-8").splitlines()
    try:
        regions = {r.key: r for r in parse_regions(stub_path, lines, module=chosen[0].stub_module)}
    except ExerciseFormatError:
        regions = {}
    if any(ex.key not in regions for ex in chosen):  # markers gone: fall back to the whole file
        saved = backup(stub_path, backup_dir)
        write_atomic(stub_path, render_stub(reference, root=reference.parent.parent))
        return f"whole file restored (markers were missing), backup at {_show(saved)}"
    saved = backup(stub_path, backup_dir)
    # Replace from the bottom up so earlier line numbers stay valid.
    for ex in sorted(chosen, key=lambda e: regions[e.key].start, reverse=True):
        region = regions[ex.key]
        lines[region.start + 1:region.end] = stub_body(ex)
    write_atomic(stub_path, "\n".join(lines) + "\n")
    return f"{len(chosen)} region(s) reset, backup at {_show(saved)} (`make restore EX=...` brings it back)"


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
