"""Mutation check: plant one realistic bug at a time and see whether the tests catch it.

    python -m tools.mutate                          # the main list (make mutate)
    python -m tools.mutate --list tools/mutations/heldout.py   # the held-out list
    python -m tools.mutate --only p1-softcap-outside --only p2-fsync-file
    python -m tools.mutate --jobs 2 --min-score 0.9 --timeout 300

A list (`tools/mutations/mutations.py`, `tools/mutations/heldout.py`) is a Python file
defining `MUTANTS`, a list of `Mutant(id, file, find, replace, why, tests)`: `find` is an
exact source snippet that must occur exactly once in `file`; `replace` is the bug;
`why` says in one line what a person got wrong; `tests` are the pytest paths or node
ids that should catch it.

For each mutant the tool copies the repository into a scratch directory (no .git, no
runs/, no caches), plants the bug there, and runs

    python -m pytest -q -x -m "not slow" --impl=reference <tests>

in the copy, with PYTHONPATH pointing at it and a time limit. The working tree is never
modified, so a crash or Ctrl-C cannot leave a bug planted. Each mutant ends as one of

    caught    a test failed (the first failing test is shown)
    SURVIVED  every selected test passed with the bug in place: a hole in the tests
    STALE     the snippet is not in the file (or not exactly once): the list needs updating
    TIMEOUT   the tests ran past the limit (not counted as caught)
    ERROR     pytest stopped without a test failure (collection/usage error, no tests;
              not counted as caught: the bug broke the run rather than failing a check)
    BASELINE  the selected tests already fail without the bug (not counted either way)

score = caught / (total - stale - baseline). Exit status 0 when score >= --min-score.

Before the mutants, each distinct test selection runs once on the unmodified copy
(`--no-baseline` skips this): a test that already fails would otherwise "catch" every bug.
This is a tool, not part of `make test-all`: the main list takes ~30-60 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import ast
import os
import runpy
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_LIST = REPO_ROOT / "tools" / "mutations" / "mutations.py"
PYTEST_ARGS = ["-q", "-x", "-m", "not slow", "-p", "no:cacheprovider", "--impl=reference"]
# Outputs at the top of the repo (not docs/checkpoints/!), and caches anywhere.
TOP_LEVEL_OUTPUTS = {".git", "runs", "checkpoints", "data_cache", "build", "dist", ".mnc-backups"}
CACHES = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".hypothesis", ".ruff_cache", "*.egg-info")


@dataclass(frozen=True)
class Mutant:
    id: str             # short, unique: "p1-softcap-outside"
    file: str           # path relative to the repo root
    find: str           # exact snippet, must occur exactly once in `file`
    replace: str        # the bug
    why: str            # one line: the mistake a person makes
    tests: tuple = ()   # pytest paths / node ids (relative to the repo root) that should catch it
    timeout: float | None = None  # seconds; default --timeout

    @property
    def area(self) -> str:
        """'phase1_model', 'tools', ...: for grouping the report."""
        return self.file.split("/")[0]


@dataclass
class Result:
    mutant: Mutant
    status: str         # caught | SURVIVED | STALE | TIMEOUT | ERROR | BASELINE
    detail: str = ""
    seconds: float = 0.0


def load_list(path: Path) -> list[Mutant]:
    """The MUTANTS of a list file, checked for unique ids and tests to run."""
    if not path.exists():
        raise SystemExit(f"mutation list {path} not found (the main list is {DEFAULT_LIST.relative_to(REPO_ROOT)})")
    mutants = runpy.run_path(str(path)).get("MUTANTS")
    # Compare by name: under `python -m tools.mutate` this module is __main__, the list's Mutant is tools.mutate's.
    if not isinstance(mutants, list) or not all(type(m).__name__ == "Mutant" for m in mutants):
        raise SystemExit(f"{path}: define MUTANTS = [Mutant(...), ...] (see tools/mutate.py)")
    mutants = [Mutant(**{f.name: getattr(m, f.name) for f in fields(Mutant)}) for m in mutants]
    seen = set()
    for m in mutants:
        if m.id in seen:
            raise SystemExit(f"{path}: duplicate mutant id {m.id!r}")
        seen.add(m.id)
        if not m.tests:
            raise SystemExit(f"{path}: mutant {m.id!r} names no tests to run")
    return mutants


def apply(source: str, m: Mutant) -> str | None:
    """`source` with the bug planted, or None when the snippet is not there exactly once."""
    if source.count(m.find) != 1:
        return None
    return source.replace(m.find, m.replace, 1)


def scratch_copy(root: Path, dest: Path) -> Path:
    """A copy of the repository tree to plant bugs in (never the working tree)."""
    def ignore(directory: str, names: list[str]) -> set[str]:
        top = TOP_LEVEL_OUTPUTS if Path(directory) == root else set()
        return (top & set(names)) | CACHES(directory, names)

    shutil.copytree(root, dest, ignore=ignore, symlinks=True)
    return dest


def _env(copy: Path) -> dict:
    env = dict(os.environ)
    # The copy, and nothing of the original tree, on the path (the editable install points elsewhere).
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and Path(p).resolve() != REPO_ROOT]
    env["PYTHONPATH"] = os.pathsep.join([str(copy), *rest])
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # no .pyc: a same-size mutant within one second must not hit a stale one
    env.setdefault("OMP_NUM_THREADS", "1")
    env.pop("MNC_IMPL", None)
    return env


def run_tests(copy: Path, tests: tuple, timeout: float) -> tuple[str, str, float]:
    """(status, detail, seconds) of the tests in `copy`: caught/SURVIVED/TIMEOUT/ERROR."""
    cmd = [sys.executable, "-m", "pytest", *PYTEST_ARGS, *tests]
    start = time.monotonic()
    # A new session so that a timeout kills the whole group (pytest's spawned ranks included).
    proc = subprocess.Popen(cmd, cwd=copy, env=_env(copy), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return "TIMEOUT", f"tests ran past {timeout:g} s", time.monotonic() - start
    seconds = time.monotonic() - start
    failed = [line.removeprefix("FAILED ") for line in out.splitlines() if line.startswith("FAILED ")]
    if proc.returncode == 1 and failed:
        return "caught", failed[0][:200], seconds
    if proc.returncode == 0:
        return "SURVIVED", "", seconds
    tail = " | ".join(line for line in out.splitlines()[-3:] if line.strip())
    return "ERROR", f"pytest exit {proc.returncode}: {tail[-300:]}", seconds


def run_mutant(m: Mutant, root: Path, timeout: float) -> Result:
    path = root / m.file
    if not path.is_file():
        return Result(m, "STALE", f"{m.file} does not exist")
    source = path.read_text(encoding="utf-8")
    mutated = apply(source, m)
    if mutated is None:
        n = source.count(m.find)
        return Result(m, "STALE", f"snippet found {n} times in {m.file} (must be exactly once): {m.find!r}")
    if m.file.endswith(".py"):
        try:
            ast.parse(mutated)
        except SyntaxError as e:
            return Result(m, "STALE", f"the mutant does not parse ({e.msg}): fix the list entry")
    with tempfile.TemporaryDirectory(prefix=f"mnc-mutant-{m.id}-") as tmp:
        copy = scratch_copy(root, Path(tmp) / "repo")
        (copy / m.file).write_text(mutated, encoding="utf-8")
        status, detail, seconds = run_tests(copy, m.tests, m.timeout or timeout)
    return Result(m, status, detail, seconds)


def run_baselines(mutants: list[Mutant], root: Path, timeout: float, jobs: int) -> dict[tuple, tuple[str, str]]:
    """Each distinct test selection on the unmodified tree: {tests: (status, detail)}."""
    selections = sorted({m.tests for m in mutants})
    with tempfile.TemporaryDirectory(prefix="mnc-mutate-baseline-") as tmp:
        copy = scratch_copy(root, Path(tmp) / "repo")
        limit = {m.tests: m.timeout or timeout for m in mutants}

        def one(tests: tuple) -> tuple[str, str]:
            status, detail, seconds = run_tests(copy, tests, limit[tests])
            shown = "passes" if status == "SURVIVED" else f"FAILS ({status} {detail})"
            print(f"  baseline {seconds:6.1f}s  {' '.join(tests)[:100]}: {shown}", flush=True)
            return status, detail

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            results = list(pool.map(one, selections))
    return dict(zip(selections, results))


def _line(r: Result) -> str:
    what = f"{r.mutant.id:<34} {r.mutant.file}: {r.mutant.why}"
    extra = f"\n{'':12}-> {r.detail}" if r.detail else ""
    return f"{r.status:<9} {r.seconds:6.1f}s  {what}{extra}"


def summarize(results: list[Result], min_score: float) -> tuple[float, str]:
    count = {s: sum(r.status == s for r in results) for s in
             ("caught", "SURVIVED", "STALE", "TIMEOUT", "ERROR", "BASELINE")}
    scored = len(results) - count["STALE"] - count["BASELINE"]
    score = count["caught"] / scored if scored else 0.0
    lines = []
    survivors = [r for r in results if r.status in ("SURVIVED", "TIMEOUT", "ERROR")]
    if survivors:
        lines.append("\nNot caught, by area (file: snippet -> bug):")
        for area in sorted({r.mutant.area for r in survivors}):
            lines.append(f"  {area}")
            for r in (r for r in survivors if r.mutant.area == area):
                lines.append(f"    [{r.status}] {r.mutant.id}  {r.mutant.file}: {r.mutant.find.strip()!r}"
                             f" -> {r.mutant.replace.strip()!r}  ({r.mutant.why})")
    stale = [r for r in results if r.status == "STALE"]
    if stale:
        lines.append(f"\nSTALE ({len(stale)}): these snippets no longer match; update the list:")
        lines.extend(f"    {r.mutant.id}: {r.detail}" for r in stale)
    baseline = [r for r in results if r.status == "BASELINE"]
    if baseline:
        lines.append(f"\nBASELINE ({len(baseline)}): their tests fail without any bug; fix the tests first:")
        lines.extend(f"    {r.mutant.id}: {r.detail}" for r in baseline)
    lines.append("\n" + ", ".join(f"{n} {s}" for s, n in count.items() if n) + f" of {len(results)} mutants")
    lines.append(f"mutation score: {count['caught']}/{scored} = {score:.1%} "
                 f"({'>=' if score >= min_score else '<'} the {min_score:.0%} required)")
    return score, "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--list", type=Path, default=DEFAULT_LIST, help="the mutation list (a .py file with MUTANTS)")
    parser.add_argument("--only", action="append", default=[], metavar="ID", help="run only this mutant (repeatable)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run in parallel (default 1; mind the cores)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per mutant's tests (default 300)")
    parser.add_argument("--min-score", type=float, default=0.95, help="exit 1 below this score (default 0.95)")
    parser.add_argument("--no-baseline", action="store_true", help="skip running the tests without a bug first")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)  # for the tool's own tests
    args = parser.parse_args(argv)
    if args.jobs < 1:
        parser.error("--jobs must be >= 1")
    mutants = load_list(args.list)
    if args.only:
        unknown = sorted(set(args.only) - {m.id for m in mutants})
        if unknown:
            parser.error(f"no mutant with id {', '.join(unknown)} in {args.list}")
        mutants = [m for m in mutants if m.id in args.only]
    root = args.root.resolve()
    print(f"{len(mutants)} mutants from {args.list}; tests: pytest {' '.join(PYTEST_ARGS)} <tests>", flush=True)

    baseline = {}
    if not args.no_baseline:
        print(f"baseline: running {len({m.tests for m in mutants})} test selections without a bug ...", flush=True)
        baseline = run_baselines(mutants, root, args.timeout, args.jobs)

    def one(m: Mutant) -> Result:
        status, detail = baseline.get(m.tests, ("SURVIVED", ""))
        if status != "SURVIVED":
            result = Result(m, "BASELINE", f"without the bug: {status} {detail}")
        else:
            result = run_mutant(m, root, args.timeout)
        print(_line(result), flush=True)
        return result

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(one, mutants))
    score, report = summarize(results, args.min_score)
    print(report)
    return 0 if score >= args.min_score else 1


if __name__ == "__main__":
    sys.exit(main())
