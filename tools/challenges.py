"""Check the debugging challenges (each must be caught) and the alternative solutions (each must pass).

    python -m tools.challenges                       # make check-challenges (part of make test-all)
    python -m tools.challenges debug_merge_overlap   # just one (alt_* names work too)
    python -m tools.challenges --only debug          # only the challenges (--only alt: the alternatives)

A challenge `checkpoints_exercises/phaseN/debug_<name>.py` declares TARGET (a
reference module), COMMIT, EXERCISE (the exercise whose learner checks must
catch it) and optionally SYMPTOM (an exception name, when the expected failure
is not an AssertionError), and redefines some of TARGET's functions with one bug.
An alternative `alt_<name>.py` has the same header and a CORRECT implementation
written differently from the reference.

Both run the learner-mode selection of EXERCISE (its exercise tests minus
`reference_only`; challenges only the fast ones) with `--challenge FILE`, which makes `impl(TARGET)`
return a copy of TARGET with the file's definitions. Verdicts:

- a challenge is *caught* only when a test FAILS on an assertion (or on its
  declared SYMPTOM). A file that does not load, a NameError or ImportError in
  the tests, a timeout, a crash or an exercise with no test is BROKEN: it proves
  nothing about the tests. Every test passing is MISSED: the tests have a hole.
- an alternative *passes* when at least one test ran and none failed.
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tools.exercises import REPO_ROOT, find_exercises

ASSERTION_TYPES = ("AssertionError", "Failed")  # `assert`, torch.testing, pytest.raises / pytest.fail
HEADER = ("TARGET", "COMMIT", "EXERCISE", "SYMPTOM")


@dataclass(frozen=True)
class Challenge:
    path: Path
    target: str
    commit: str
    exercise: str = ""      # the exercise name ("merge"); "" only in files the checker then rejects
    symptom: str = ""       # an exception name that counts as caught besides AssertionError

    @property
    def kind(self) -> str:
        return "alt" if self.path.name.startswith("alt_") else "debug"

    @property
    def key(self) -> str:
        return f"{self.commit} {self.exercise}"


def read_challenge(path: Path) -> Challenge:
    """Read the header (TARGET, COMMIT, EXERCISE, SYMPTOM) without executing the file."""
    values = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            if node.targets[0].id in HEADER and isinstance(node.value, ast.Constant):
                values[node.targets[0].id] = node.value.value
    missing = {"TARGET", "COMMIT"} - set(values)
    if missing:
        raise ValueError(f"{path}: missing {', '.join(sorted(missing))} = '...' (see CONTRIBUTING.md)")
    return Challenge(path, values["TARGET"], values["COMMIT"], values.get("EXERCISE", ""), values.get("SYMPTOM", ""))


def load_challenge(path: Path) -> tuple[str, object]:
    """(TARGET, a fresh copy of the TARGET module with the challenge executed inside it).

    Running the challenge *inside* the copy lets its definitions replace the reference ones
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
    """Every debug_*.py and alt_*.py under checkpoints_exercises/, challenges first."""
    paths = sorted(root.glob("checkpoints_exercises/phase*/debug_*.py")) + \
        sorted(root.glob("checkpoints_exercises/phase*/alt_*.py"))
    return [read_challenge(p) for p in paths]


def _header_problem(ch: Challenge, root: Path) -> str:
    if not ch.exercise:
        return "no EXERCISE = '<name>' in the header (the exercise whose tests must judge it)"
    if ch.key not in {ex.key for ex in find_exercises(root)}:
        return f"EXERCISE {ch.key!r} is not an exercise (names: `python -m tools.hint {ch.commit}`)"
    return ""


def run_pytest(ch: Challenge, root: Path = REPO_ROOT, timeout: float = 60.0,
               stop_on_assert: bool = True) -> list[dict]:
    """Run the learner-mode tests of the file's exercise against it; the JSON events."""
    with tempfile.TemporaryDirectory(prefix="mnc-challenge-") as tmp:
        report = Path(tmp) / "events.jsonl"
        # Challenges: the fast tests must catch a bug. Alternatives: every learner check, slow included.
        slow = ["-m", "not slow"] if ch.kind == "debug" else []
        cmd = [sys.executable, "-m", "pytest", "-q", *slow, "-p", "no:cacheprovider",
               "-p", "tools.pytest_plugin", "--rootdir", str(root), "--impl=reference", "--learner-tests",
               f"--challenge={ch.path}", f"--commit={ch.commit}:{ch.exercise}", f"--mnc-timeout={timeout:g}",
               f"--mnc-report={report}"]
        if stop_on_assert:
            cmd.append("--mnc-stop-on-assert")
        if (root / "pyproject.toml").exists():
            cmd += ["-c", str(root / "pyproject.toml")]
        tests = sorted(str(p) for p in root.glob(f"phase{ch.commit.split('.')[0]}_*/tests"))
        proc = subprocess.run(cmd + tests, cwd=root, capture_output=True, text=True, timeout=900)
        events = [json.loads(line) for line in report.read_text(encoding="utf-8").splitlines()] \
            if report.exists() else []
    if not any(e["event"] == "finish" for e in events):
        events.append({"event": "crash", "message": (proc.stdout + proc.stderr)[-1500:]})
    return events


def judge_challenge(ch: Challenge, events: list[dict]) -> tuple[str, str]:
    """('caught' | 'MISSED' | 'BROKEN', detail) for a debugging challenge."""
    reports = [e for e in events if e["event"] == "report"]
    failed = [r for r in reports if r["outcome"] == "failed"]
    wanted = ASSERTION_TYPES + ((ch.symptom,) if ch.symptom else ())
    for r in failed:
        if r["when"] == "call" and any(t in r["exc"] for t in wanted):
            return "caught", f"{r['test'].split('::')[-1]}: {r['message'][:120]}"
    crash = next((e for e in events if e["event"] == "crash"), None)
    if crash:
        return "BROKEN", f"pytest did not finish: {crash['message'][-400:]}"
    if failed:
        r = failed[0]
        what = "timed out" if "TestTimeout" in r["exc"] else f"failed with {r['exc'][0] if r['exc'] else '?'}"
        return "BROKEN", (f"{r['test'].split('::')[-1]} {what}, not on an assertion"
                          f"{' or ' + ch.symptom if ch.symptom else ''}: {r['message'][:160]} "
                          "(declare SYMPTOM = '<ExceptionName>' if this exception IS the expected symptom)")
    if not any(r["when"] == "call" for r in reports):
        return "BROKEN", f"no learner-mode test of exercise {ch.key} ran (is any test tagged with it?)"
    return "MISSED", "every test passes against this bug; add a test that fails on it"


def judge_alternative(ch: Challenge, events: list[dict]) -> tuple[str, str]:
    """('passes' | 'REJECTED' | 'BROKEN', detail) for an alternative correct solution."""
    reports = [e for e in events if e["event"] == "report"]
    crash = next((e for e in events if e["event"] == "crash"), None)
    if crash:
        return "BROKEN", f"pytest did not finish: {crash['message'][-400:]}"
    failed = [r for r in reports if r["outcome"] == "failed"]
    if failed:
        r = failed[0]
        return "REJECTED", (f"{r['test'].split('::')[-1]}: {r['message'][:200]} (a correct implementation must "
                            "pass: loosen the test to what the numerics justify, or fix the alternative)")
    passed = sum(r["outcome"] == "passed" and r["when"] == "call" for r in reports)
    if not passed:
        return "BROKEN", f"no learner-mode test of exercise {ch.key} ran"
    return "passes", f"{passed} test{'s' * (passed != 1)} pass"


def run_challenge(ch: Challenge, root: Path = REPO_ROOT, timeout: float = 60.0) -> tuple[bool, str]:
    """(ok, verdict and detail): caught for a challenge, passes for an alternative."""
    problem = _header_problem(ch, root)
    if problem:
        return False, f"BROKEN: {problem}"
    try:  # a file that cannot even load would "fail" every test: that is not a catch
        load_challenge(ch.path)
    except Exception as e:  # noqa: BLE001 (report any error in the challenge file itself)
        return False, f"BROKEN: the file does not load: {type(e).__name__}: {e}"
    finally:
        sys.modules.pop(f"_mnc_challenge_{ch.path.stem}", None)
    events = run_pytest(ch, root, timeout, stop_on_assert=ch.kind == "debug")
    verdict, detail = (judge_challenge if ch.kind == "debug" else judge_alternative)(ch, events)
    return verdict in ("caught", "passes"), f"{verdict}: {detail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="file stems to check (default: all)")
    parser.add_argument("--only", choices=["debug", "alt"], default=None, help="only challenges or alternatives")
    args = parser.parse_args(argv)
    found = [c for c in find_challenges() if (not args.names or c.path.stem in args.names)
             and (not args.only or c.kind == args.only)]
    if args.names and not found:
        print(f"No challenge or alternative named {', '.join(args.names)}.")
        return 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(run_challenge, found))
    for ch, (ok, detail) in zip(found, results):
        print(f"{'ok ' if ok else 'BAD'} {ch.path.relative_to(REPO_ROOT)}  ({ch.key})  {detail}")
    debug = [ok for ch, (ok, _) in zip(found, results) if ch.kind == "debug"]
    alt = [ok for ch, (ok, _) in zip(found, results) if ch.kind == "alt"]
    print(f"{sum(debug)}/{len(debug)} debugging challenges caught by an assertion in their exercise's tests; "
          f"{sum(alt)}/{len(alt)} alternative solutions pass their exercise's tests")
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
