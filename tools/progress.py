"""The learner's check: run a commit's exercise tests and say, per exercise, TODO / FAIL / PASS.

    python -m tools.progress 0.2                 # make phase0.2   (your code in exercises/)
    python -m tools.progress 0                   # make phase0     (a whole phase)
    python -m tools.progress all                 # make progress   (the whole course)
    python -m tools.progress 0.2 --impl reference  # IMPL=reference make phase0.2
    python -m tools.progress 3.1 --times         # also each exercise's seconds and peak memory

Exit status is 0 only when every selected exercise passes, so the command can
gate a script. Each exercise runs in its own child process (tools/runner.py)
with a hard time and memory limit, so an infinite loop, an early exit or a
runaway allocation in your code shows up as a FAIL that says what happened,
never as a hung terminal or a silent "all pass". A test of exercise E runs your
code for E only, everything else from the reference: a failure is E's own.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tools.curriculum import COMMITS, PHASES, commit_info
from tools.exercises import REPO_ROOT, Exercise, find_exercises, select
from tools.hint_levels import HintFormatError, load_hints, read_opened
from tools.impl import is_todo, learner_location
from tools.runner import Result, run_exercises

NOT_IMPLEMENTED_RE = re.compile(r"NotImplementedError: exercise (\d+\.\d+) (\w+)")


def own_status(ex: Exercise, result: Result | None, has_tests: bool, learner: bool,
               dependent: set[str] = frozenset()) -> tuple[str, str]:
    """('TODO' | 'FAIL' | 'PASS', detail) for one exercise from its child's result, judging only
    the tests that do not also run another exercise's learner code (`dependent` lists those)."""
    if learner and is_todo(ex):
        return "TODO", "still a stub"
    if not has_tests:
        return "FAIL", "no test checks this exercise (report it: every exercise needs an exercise test)"
    if result is None:
        return "FAIL", "it did not run"
    if result.crash:
        return "FAIL", result.crash
    failures = [r for r in result.reports() if r["outcome"] == "failed" and r["test"] not in dependent]
    passed = sum(r["outcome"] == "passed" and r["when"] == "call" for r in result.reports())
    if failures:
        first = failures[0]
        test, message = first["test"].split("::")[-1], first["message"]
        m = NOT_IMPLEMENTED_RE.search(message)
        if m and (m[1], m[2]) != (ex.commit, ex.name):
            return "FAIL", f"{test}: needs exercise {m[1]} {m[2]} first"
        note = f" [{first['note']}]" if first.get("note") else ""
        return "FAIL", f"{test}: {message}{note}"
    if passed == 0 and not dependent:
        skipped = sum(r["outcome"] == "skipped" for r in result.reports())
        return "FAIL", f"no test ran ({skipped} skipped: see the skip reasons with pytest -rs)" if skipped \
            else "no test ran (check the test selection)"
    return "PASS", f"{passed} test{'s' * (passed != 1)} pass"


def statuses_of(exercises: list[Exercise], results: dict[str, Result], tests: dict[str, list[str]],
                learner: bool, root: Path = REPO_ROOT) -> dict[str, tuple[str, str]]:
    """Each exercise's status. A failing test that also runs other exercises' learner code
    (`@pytest.mark.needs`) is blamed on those exercises while they do not pass on their own:
    "depends on 3.2 newton_schulz", not a FAIL of the exercise the test is tagged with."""
    needs = {}  # test id -> the other exercises it needs
    for result in results.values():
        for event in result.events:
            if event["event"] == "collected" and event.get("needs"):
                needs[event["test"]] = event["needs"]
    statuses = {}
    for ex in exercises:
        result = results.get(ex.key)
        dependent = {t for t in tests.get(ex.key, []) if t in needs}
        statuses[ex.key] = own_status(ex, result, bool(tests.get(ex.key)), learner, dependent)
    by_key = {ex.key: ex for ex in find_exercises(root)}
    for ex in exercises:
        state, _ = statuses[ex.key]
        result = results.get(ex.key)
        if state != "PASS" or result is None:
            continue
        for report in result.reports():
            if report["outcome"] != "failed" or report["test"] not in needs:
                continue
            blocking = []
            for key in needs[report["test"]]:
                other = statuses.get(key)
                if other is None and key in by_key:  # outside this selection: only TODO is known
                    other = ("TODO", "") if learner and is_todo(by_key[key]) else ("?", "")
                if other[0] != "PASS":
                    blocking.append(f"{key}" + (" (still a stub)" if other[0] == "TODO" else
                                                " (check it: make phase" + key.split()[0] + ")" if other[0] == "?"
                                                else " (failing)"))
            test = report["test"].split("::")[-1]
            if blocking:
                statuses[ex.key] = ("FAIL", f"{test}: depends on {', '.join(blocking)}")
            else:
                statuses[ex.key] = ("FAIL", f"{test}: {report['message']}")
            break
    return statuses


STYLE = {"PASS": ("✔", "green"), "FAIL": ("✘", "red"), "TODO": ("·", "yellow")}


def hint_badges(exercises: list[Exercise], statuses: dict[str, tuple[str, str]],
                root: Path = REPO_ROOT) -> dict[str, str]:
    """Per exercise, how far into its hints the learner went (`make hint`, recorded in
    .mnc-progress/hints.json): 'hints 2/3' (up to level 2 of its 3), 'solved without hints' for a
    PASS with none opened, '' for an exercise still being tried without one. Rich markup. The
    deepest level opened counts, not how many: jumping straight to the pseudo-code is 3/3."""
    opened = read_opened(root)
    everything = find_exercises(root)
    totals: dict[str, int | None] = {}
    for commit in dict.fromkeys(ex.commit for ex in exercises):
        try:
            hints = load_hints(commit, everything, root)
        except HintFormatError:  # the course's file is broken: `make hint` says where; progress goes on
            hints = None
        for ex in exercises:
            if ex.commit == commit:
                totals[ex.key] = len(hints[ex.name]) if hints and ex.name in hints else None
    badges = {}
    for ex in exercises:
        n = max(opened.get(ex.key, []), default=0)
        if n:
            total = totals[ex.key]
            badges[ex.key] = f"[dim]hints {n}/{total if total is not None else '?'}[/]"
        elif statuses[ex.key][0] == "PASS":
            badges[ex.key] = "[green]solved without hints[/]"
        else:
            badges[ex.key] = ""
    return badges


def report(exercises: list[Exercise], statuses: dict[str, tuple[str, str]], learner: bool,
           console: Console, root: Path = REPO_ROOT) -> bool:
    """Print one table per commit and the summary; True when everything passes. In learner mode
    each row ends with how many hint levels were opened for it (hint_badges)."""
    badges = hint_badges(exercises, statuses, root) if learner else {}
    for commit in dict.fromkeys(ex.commit for ex in exercises):
        group = [ex for ex in exercises if ex.commit == commit]
        files = sorted({(ex.stub_path if learner else ex.path).relative_to(root).as_posix() for ex in group})
        done = sum(statuses[ex.key][0] == "PASS" for ex in group)
        owner = "your code" if learner else "reference"
        console.print(f"[bold]Commit {commit} — {commit_info(commit).title}[/]  ({done}/{len(group)})"
                      f"   [dim]{owner}: {', '.join(files)}[/]", soft_wrap=True)
        table = Table(show_header=False, box=None, padding=(0, 1))
        for ex in group:
            state, detail = statuses[ex.key]
            mark, color = STYLE[state]
            hints = [badges[ex.key]] if learner else []
            table.add_row(f"[{color}]{mark}[/]", escape(ex.name), f"[{color}]{state}[/]", *hints, escape(detail))
        console.print(table)
        console.print()
    done = sum(s == "PASS" for s, _ in statuses.values())
    console.print(f"[bold]{done}/{len(exercises)} done.[/]")
    unfinished = [ex for ex in exercises if statuses[ex.key][0] != "PASS"]
    if unfinished:
        first = unfinished[0]
        where = learner_location(first, root) if learner else f"{first.path.relative_to(root)}:{first.start + 1}"
        console.print(f"Next: [bold]{first.commit} {first.name}[/] at {where}")
        console.print(f"Stuck? make hint EX={first.commit}:{escape(first.name)} (level 1 of its hints; LEVEL=2 "
                      "for the next)", soft_wrap=True)
        reading = commit_info(first.commit).read
        if reading:
            console.print("Read: " + ", ".join(reading), soft_wrap=True)
    return not unfinished


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Check your exercises: TODO / FAIL / PASS per exercise.")
    parser.add_argument("selector", nargs="?", default="all", help="a phase '0', a commit '0.2', '0.2:merge' or 'all'")
    parser.add_argument("--impl", choices=["learner", "reference"], default=os.environ.get("MNC_IMPL") or "learner")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds per exercise (all its tests) before it is stopped; default: "
                             "tools/curriculum.py's time_limit (30 s, more for the slow ones)")
    parser.add_argument("--workers", type=int, default=2, help="exercises checked at the same time")
    parser.add_argument("--times", action="store_true", help="also print each exercise's seconds and peak memory")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)  # the machinery's tests
    args = parser.parse_args(argv)
    console = Console()
    root = args.root.resolve()
    exercises = select(find_exercises(root), args.selector)
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
        known = sorted({ex.commit for ex in find_exercises(root)})
        console.print(f"No exercises match '{args.selector}'. Commits with exercises: {', '.join(known) or 'none'}"
                      f" (phases: {', '.join(PHASES)})", soft_wrap=True)
        return 2
    learner = args.impl == "learner"
    to_run = [ex for ex in exercises if not (learner and is_todo(ex))]  # a stub needs no child
    limits = {ex.key: args.timeout for ex in exercises} if args.timeout else None
    results, tests = run_exercises(to_run, args.impl, root, workers=args.workers, limits=limits) \
        if to_run else ({}, {})
    statuses = statuses_of(exercises, results, tests, learner, root)
    ok = report(exercises, statuses, learner, console, root)
    if learner and args.selector == "all":  # the whole course: is the capstone (tools/capstone.py) open?
        from tools.capstone import unlocked_message
        console.print(unlocked_message(ok), soft_wrap=True)
    if args.times:
        for key, result in results.items():
            peak = max((e.get("vmpeak", 0) for e in result.events if e["event"] == "done"), default=0)
            console.print(f"[dim]time {key}: {result.seconds:.1f} s, peak address space {peak / 2**30:.2f} GB[/]")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
