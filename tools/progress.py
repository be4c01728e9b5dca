"""The learner's check: run a commit's exercise tests and say, per exercise, TODO / FAIL / PASS.

    python -m tools.progress 0.2                 # make phase0.2   (your code in exercises/)
    python -m tools.progress 0                   # make phase0     (a whole phase)
    python -m tools.progress all                 # make progress   (the whole course)
    python -m tools.progress 0.2 --impl reference  # IMPL=reference make phase0.2

Exit status is 0 only when every selected exercise passes, so the command can
gate a script. Each test runs under a time limit, so an infinite loop in a stub
shows up as a FAIL with a message instead of a hung terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import re
import sys
from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tools.curriculum import COMMITS, PHASES, commit_info
from tools.exercises import REPO_ROOT, Exercise, find_exercises, select
from tools.impl import is_todo, learner_location

NOT_IMPLEMENTED_RE = re.compile(r"NotImplementedError: exercise (\d+\.\d+) (\w+)")


@dataclass
class Outcome:
    passed: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (test name, first line of the error)


class _Collector:
    """A pytest plugin object that records each test's outcome under its exercise."""

    def __init__(self):
        self.exercise_of: dict[str, str] = {}
        self.outcomes: dict[str, Outcome] = {}

    def pytest_collection_modifyitems(self, items):
        from tools.pytest_plugin import commit_marker
        for item in items:
            commit, name = commit_marker(item)
            if name:
                self.exercise_of[item.nodeid] = f"{commit} {name}"

    def pytest_runtest_logreport(self, report):
        key = self.exercise_of.get(report.nodeid)
        if key is None or (report.when != "call" and report.passed):
            return
        outcome = self.outcomes.setdefault(key, Outcome())
        if report.passed:
            outcome.passed += 1
        elif report.failed:
            outcome.failures.append((report.nodeid.split("::")[-1], _first_line(report)))


def _first_line(report) -> str:
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "failed"
    if lines[0].endswith(("assert False", "AssertionError")) and len(lines) > 1:
        return f"{lines[0]} ({lines[1]})"[:240]  # "+ where False = equal(...)" says what was compared
    return lines[0][:240]


def run_exercise_tests(selector: str, impl: str, timeout: float) -> dict[str, Outcome]:
    """Run the selected exercise tests in this process; outcomes keyed by 'commit name'."""
    import pytest

    collector = _Collector()
    # Keep pytest's terminal plugin (its assertion explanations, "assert [256, 2] == [256]", need
    # it) but send its output nowhere: the table below is the learner's view.
    args = ["-q", "--tb=short", "-p", "no:cacheprovider", f"--impl={impl}", f"--mnc-timeout={timeout}",
            "--rootdir", str(REPO_ROOT), "-c", str(REPO_ROOT / "pyproject.toml")]
    if selector != "all":
        args.append(f"--commit={selector}")
    phase_dirs = sorted({str(ex.path.parent) for ex in select(find_exercises(), selector)})
    with contextlib.redirect_stdout(io.StringIO()):
        pytest.main(args + [d + "/tests" for d in phase_dirs], plugins=[collector])
    return collector.outcomes


def status_of(ex: Exercise, outcome: Outcome | None, learner: bool) -> tuple[str, str]:
    """('TODO' | 'FAIL' | 'PASS', detail) for one exercise."""
    if learner and is_todo(ex):
        return "TODO", "still a stub"
    if outcome is None or (outcome.passed == 0 and not outcome.failures):
        return "FAIL", "no test ran (check the test selection)"
    if outcome.failures:
        test, message = outcome.failures[0]
        m = NOT_IMPLEMENTED_RE.search(message)
        if m and (m[1], m[2]) != (ex.commit, ex.name):
            return "FAIL", f"{test}: needs exercise {m[1]} {m[2]} first"
        return "FAIL", f"{test}: {message}"
    return "PASS", f"{outcome.passed} test{'s' * (outcome.passed != 1)} pass"


STYLE = {"PASS": ("✔", "green"), "FAIL": ("✘", "red"), "TODO": ("·", "yellow")}


def report(exercises: list[Exercise], outcomes: dict[str, Outcome], learner: bool, console: Console) -> bool:
    """Print one table per commit and the summary; True when everything passes."""
    statuses = {ex.key: status_of(ex, outcomes.get(ex.key), learner) for ex in exercises}
    for commit in dict.fromkeys(ex.commit for ex in exercises):
        group = [ex for ex in exercises if ex.commit == commit]
        files = sorted({(ex.stub_path if learner else ex.path).relative_to(REPO_ROOT).as_posix() for ex in group})
        done = sum(statuses[ex.key][0] == "PASS" for ex in group)
        owner = "your code" if learner else "reference"
        console.print(f"[bold]Commit {commit} — {commit_info(commit).title}[/]  ({done}/{len(group)})"
                      f"   [dim]{owner}: {', '.join(files)}[/]", soft_wrap=True)
        table = Table(show_header=False, box=None, padding=(0, 1))
        for ex in group:
            state, detail = statuses[ex.key]
            mark, color = STYLE[state]
            table.add_row(f"[{color}]{mark}[/]", escape(ex.name), f"[{color}]{state}[/]", escape(detail))
        console.print(table)
        console.print()
    done = sum(s == "PASS" for s, _ in statuses.values())
    console.print(f"[bold]{done}/{len(exercises)} done.[/]")
    unfinished = [ex for ex in exercises if statuses[ex.key][0] != "PASS"]
    if unfinished:
        first = unfinished[0]
        where = learner_location(first) if learner else f"{first.path.relative_to(REPO_ROOT)}:{first.start + 1}"
        console.print(f"Next: [bold]{first.commit} {first.name}[/] at {where}")
        if first.hint:
            console.print(f"Hint for {escape(first.name)}: {escape(first.hint)}", soft_wrap=True)
        reading = commit_info(first.commit).read
        if reading:
            console.print("Read: " + ", ".join(reading), soft_wrap=True)
    return not unfinished


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check your exercises: TODO / FAIL / PASS per exercise.")
    parser.add_argument("selector", nargs="?", default="all", help="a phase '0', a commit '0.2', '0.2:merge' or 'all'")
    parser.add_argument("--impl", choices=["learner", "reference"], default=os.environ.get("MNC_IMPL") or "learner")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per test before it counts as hung")
    args = parser.parse_args(argv)
    console = Console()
    exercises = select(find_exercises(), args.selector)
    if not exercises:
        commit = args.selector.partition(":")[0]
        if commit in COMMITS and ":" not in args.selector:
            # A commit whose code is all reference (to read, not to write): nothing to check.
            console.print(f"Commit {commit} — {commit_info(commit).title} has no exercises: its code is the "
                          f"reference to read. Its tests: python -m pytest -q --commit {commit}", soft_wrap=True)
            reading = commit_info(commit).read
            if reading:
                console.print("Read: " + ", ".join(reading), soft_wrap=True)
            return 0
        known = sorted({ex.commit for ex in find_exercises()})
        console.print(f"No exercises match '{args.selector}'. Commits with exercises: {', '.join(known) or 'none'}"
                      f" (phases: {', '.join(PHASES)})", soft_wrap=True)
        return 2
    outcomes = run_exercise_tests(args.selector, args.impl, args.timeout)
    return 0 if report(exercises, outcomes, args.impl == "learner", console) else 1


if __name__ == "__main__":
    sys.exit(main())
