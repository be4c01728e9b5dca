"""Print an exercise's hints one level at a time (`make hint EX=1.2`, `make hint EX=1.2:multi_head_attention LEVEL=2`).

    python -m tools.hint 1.2                      # level 1 of every exercise of commit 1.2
    python -m tools.hint 1.2:multi_head_attention            # level 1 of one exercise
    python -m tools.hint 1.2:multi_head_attention --level 2  # its level 2 only (level 1 is not repeated)

Try without first. Level 1 is the idea and where to read it, the next levels
get more specific, the last one is pseudo-code. The hints live in
tools/hints/<commit>.md, never in the stub. Each level you open is recorded in
.mnc-progress/hints.json, and `make progress` shows how many levels each
exercise took ("solved without hints" when none).
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from pathlib import Path

from tools.curriculum import COMMITS, commit_info
from tools.exercises import REPO_ROOT, Exercise, ExerciseFormatError, find_exercises, select
from tools.hint_levels import HintFormatError, load_hints, record_opened
from tools.impl import is_todo, learner_location

SELECTOR_RE = re.compile(r"(?P<commit>\d+(?:\.\d+)?)(?::(?P<name>\w+))?|all")


def bad_selector(selector: str, exercises: list[Exercise]) -> str:
    """Why `selector` matches no exercise, and what to type instead."""
    commits = list(dict.fromkeys(ex.commit for ex in exercises))
    m = SELECTOR_RE.fullmatch(selector)
    commit, name = (m["commit"], m["name"]) if m else (None, None)
    if commit and name and "." in commit:
        names = [ex.name for ex in exercises if ex.commit == commit]
        if names:
            return (f"Commit {commit} has no exercise '{name}'. Its exercises: {', '.join(names)} "
                    f"(e.g. make hint EX={commit}:{names[0]}).")
    if commit and not name and commit in COMMITS:
        return (f"Commit {commit} — {commit_info(commit).title} has no exercises: its code is the reference "
                f"to read. Commits with exercises: {', '.join(commits)}.")
    return (f"No exercise matches EX={selector}. Give a commit (make hint EX={commits[0] if commits else '0.2'}), "
            f"one exercise (EX=<commit>:<name>, names in make progress) or a phase (EX=0). "
            f"Commits with exercises: {', '.join(commits) or 'none'}.")


def parse_level(text: str) -> int | None:
    return int(text) if text.isdigit() and int(text) >= 1 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("selector", help="a commit '1.2', one exercise '1.2:multi_head_attention', or a phase '1'")
    parser.add_argument("--level", default="1", help="which level to print (1 = the idea; the last = pseudo-code)")
    parser.add_argument("--root", type=Path, default=REPO_ROOT, help=argparse.SUPPRESS)  # the machinery's tests
    args = parser.parse_args(argv)
    root = args.root.resolve()
    level = parse_level(args.level)
    if level is None:
        print(f"LEVEL={args.level} is not a level: levels are 1, 2, 3, ... (make hint EX={args.selector} LEVEL=2)",
              file=sys.stderr)
        return 2
    try:
        everything = find_exercises(root)
        exercises = select(everything, args.selector)
        if not exercises:
            print(bad_selector(args.selector, everything), file=sys.stderr)
            return 2
        hints = {commit: load_hints(commit, everything, root) for commit in dict.fromkeys(e.commit for e in exercises)}
    except (HintFormatError, ExerciseFormatError) as e:
        print(f"The course files are malformed (not your code; report it): {e}", file=sys.stderr)
        return 2

    shown: dict[str, str] = {}             # level text -> where it was printed first in this call
    opened: dict[str, list[int]] = {}      # what to add to the record
    missing: list[str] = []                # exercises that have no such level (each said so)
    more = False                           # some printed exercise has a level after this one
    for commit in hints:
        print(f"Commit {commit} — {commit_info(commit).title}")
        for ex in (e for e in exercises if e.commit == commit):
            levels = hints[commit].get(ex.name, ())
            state = "todo" if is_todo(ex) else "edited"
            where = learner_location(ex, root)
            if not levels:
                print(f"  {ex.name} [{state}] {where}\n      (no hints written for this exercise yet)")
                continue
            if level > len(levels):
                missing.append(ex.key)
                print(f"  exercise {commit} {ex.name} has {len(levels)} level{'s' * (len(levels) != 1)}: "
                      f"make hint EX={commit}:{ex.name} LEVEL={len(levels)} is its last")
                continue
            text = levels[level - 1]
            last = " (the last)" if level == len(levels) else ""
            print(f"  {ex.name} [{state}] {where} — hint level {level} of {len(levels)}{last}")
            if text in shown:
                print(f"      (the same text as {shown[text]} above)")
            else:
                print(textwrap.indent(text, "      "))
                shown[text] = f"{ex.name}'s level {level}"
            opened.setdefault(ex.key, []).append(level)
            more = more or level < len(levels)
        reading = commit_info(commit).read
        if reading:
            print("  Read: " + ", ".join(reading))
    if more:
        if len(exercises) == 1:
            print(f"Still stuck after trying? make hint EX={exercises[0].commit}:{exercises[0].name} LEVEL={level + 1}")
        else:
            commit = exercises[0].commit if len(hints) == 1 else "<commit>"
            print(f"Still stuck after trying? make hint EX={commit}:<name> LEVEL={level + 1} "
                  f"(one exercise; EX={args.selector} LEVEL={level + 1} for all)")
    if opened:
        try:
            record_opened(opened, root)
        except OSError as e:  # a read-only checkout: the hint was shown, only the record is lost
            print(f"warning: could not record the opened hints ({e})", file=sys.stderr)
    return 0 if opened or not missing else 2


if __name__ == "__main__":
    sys.exit(main())
