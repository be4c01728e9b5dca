"""Generate the learner stubs `phaseN_*/exercises/<module>.py` from the reference.

    python -m tools.stubgen           # (re)write every stub        (make stubs)
    python -m tools.stubgen --check   # exit 1 if a committed stub is stale

A stub is the reference module with each exercise body replaced by a TODO line
(pointing at `make hint`) and `raise NotImplementedError(...)`: same imports,
signatures, docstrings and unmarked code, so the learner edits the real thing
minus the part to learn. The stub never holds a hint: those live in layers in
tools/hints/<commit>.md (tools/hint_levels.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.exercises import (
    REPO_ROOT,
    Exercise,
    module_name,
    parse_regions,
    phase_packages,
    reference_modules,
    stub_body,
)

HEADER = ('# Learner stub GENERATED from {ref} by `make stubs`. Write your code between the\n'
          '# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.\n')
EXERCISES_INIT = '"""Learner stubs: generated from the reference modules by `make stubs`."""\n'


def render_stub(path: Path, exercises: list[Exercise] | None = None, root: Path = REPO_ROOT) -> str:
    """The stub text for one reference module."""
    lines = path.read_text(encoding="utf-8").splitlines()
    exercises = parse_regions(path, lines, module_name(path, root)) if exercises is None else exercises
    out: list[str] = []
    cursor = 0
    for ex in exercises:
        out += lines[cursor:ex.start + 1]       # everything up to and including `# >>>`
        out += stub_body(ex)
        out.append(lines[ex.end])                # the `# <<<` line
        cursor = ex.end + 1
    out += lines[cursor:]
    ref = path.resolve().relative_to(root.resolve()).as_posix()
    return HEADER.format(ref=ref) + "\n".join(out) + "\n"


def expected_stubs(root: Path = REPO_ROOT) -> dict[Path, str]:
    """Every stub file that should exist, with its content (including exercises/__init__.py)."""
    stubs: dict[Path, str] = {}
    for path in reference_modules(root):
        exercises = parse_regions(path, module=module_name(path, root))
        if exercises:
            stubs[path.parent / "exercises" / path.name] = render_stub(path, exercises, root)
    for pkg in phase_packages(root):
        stubs[pkg / "exercises" / "__init__.py"] = EXERCISES_INIT
    return stubs


def stale_stubs(root: Path = REPO_ROOT) -> list[str]:
    """Problems with the committed stubs: missing, out of date, or orphaned."""
    problems = []
    expected = expected_stubs(root)
    for path, text in expected.items():
        if not path.exists():
            problems.append(f"missing: {path.relative_to(root)}")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"out of date: {path.relative_to(root)}")
    for pkg in phase_packages(root):
        for path in (pkg / "exercises").glob("*.py"):
            if path not in expected:
                problems.append(f"orphaned (no reference regions): {path.relative_to(root)}")
    return problems


def write_stubs(root: Path = REPO_ROOT) -> list[Path]:
    written = []
    for path, text in expected_stubs(root).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if committed stubs differ from generated ones")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale_stubs()
        for p in problems:
            print(p)
        if problems:
            print("Stubs are stale: run `make stubs` and commit the result.")
            return 1
        print(f"stubs are current ({len(expected_stubs())} files)")
        return 0
    for path in write_stubs():
        print(f"wrote {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
