"""Check the debugging challenges: every buggy variant must be caught by at least one test.

    python -m tools.challenges            # make check-challenges (part of make test-all)
    python -m tools.challenges debug_merge_overlap   # just one

A challenge `checkpoints_exercises/phaseN/debug_<name>.py` declares TARGET (a
reference module) and COMMIT, and redefines some of TARGET's functions with a
bug. We run COMMIT's tests with `--challenge FILE`, which makes `impl(TARGET)`
return a copy of TARGET with the buggy definitions; a test must fail. A
challenge no test catches means the tests have a hole, so it fails the build.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tools.exercises import REPO_ROOT


@dataclass(frozen=True)
class Challenge:
    path: Path
    target: str
    commit: str


def read_challenge(path: Path) -> Challenge:
    """Read TARGET and COMMIT without executing the file."""
    values = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in ("TARGET", "COMMIT") and isinstance(node.value, ast.Constant):
                values[node.targets[0].id] = node.value.value
    missing = {"TARGET", "COMMIT"} - set(values)
    if missing:
        raise ValueError(f"{path}: missing {', '.join(sorted(missing))} = '...' (see CONTRIBUTING.md)")
    return Challenge(path, values["TARGET"], values["COMMIT"])


def load_challenge(path: Path) -> tuple[str, object]:
    """(TARGET, a fresh copy of the TARGET module with the challenge executed inside it).

    Running the challenge *inside* the copy lets its buggy definitions replace the reference ones
    and share the copy's globals, so the rest of the module calls them; the real module is untouched.
    """
    target = read_challenge(path).target
    spec = importlib.util.find_spec(target)
    if spec is None or spec.origin is None:
        raise ValueError(f"{path}: TARGET = {target!r} is not an importable module")
    name = f"_mnc_challenge_{path.stem}"
    copy_spec = importlib.util.spec_from_file_location(name, spec.origin)
    module = importlib.util.module_from_spec(copy_spec)
    sys.modules[name] = module  # dataclasses and pickling look modules up by name
    copy_spec.loader.exec_module(module)
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), module.__dict__)
    return target, module


def find_challenges(root: Path = REPO_ROOT) -> list[Challenge]:
    return [read_challenge(p) for p in sorted(root.glob("checkpoints_exercises/phase*/debug_*.py"))]


def run_challenge(ch: Challenge) -> tuple[bool, str]:
    """(caught, detail): run the commit's tests against the buggy copy."""
    try:  # a challenge that cannot even load would "fail" every test: that is not a catch
        load_challenge(ch.path)
    except Exception as e:  # noqa: BLE001 (report any error in the challenge file itself)
        return False, f"BROKEN: the challenge does not load: {type(e).__name__}: {e}"
    phase_pkg = next(REPO_ROOT.glob(f"phase{ch.commit.split('.')[0]}_*"))
    cmd = [sys.executable, "-m", "pytest", "-q", "-x", "-m", "not slow", "-p", "no:cacheprovider",
           "--impl=reference", f"--challenge={ch.path}", f"--commit={ch.commit}", "--mnc-timeout=60",
           str(phase_pkg / "tests")]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    failed = [line for line in proc.stdout.splitlines() if line.startswith("FAILED")]
    if proc.returncode == 1 and failed:
        return True, failed[0].removeprefix("FAILED ").split(" - ")[0]
    if proc.returncode == 0:
        return False, "NOT CAUGHT: every test passes against this bug; add a test that fails on it"
    return False, f"pytest exit {proc.returncode}:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="challenge file stems to check (default: all)")
    args = parser.parse_args(argv)
    challenges = [c for c in find_challenges() if not args.names or c.path.stem in args.names]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run_challenge, challenges))
    ok = True
    for ch, (caught, detail) in zip(challenges, results):
        ok &= caught
        print(f"{'caught ' if caught else 'MISSED '} {ch.path.relative_to(REPO_ROOT)}  ({ch.commit})  {detail}")
    print(f"{sum(c for c, _ in results)}/{len(challenges)} debugging challenges caught by the tests")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
