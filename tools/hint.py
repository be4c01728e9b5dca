"""Print the hints of a commit's exercises (`make hint EX=0.2`, or EX=0.2:merge for one).

    python -m tools.hint 0.2
"""

from __future__ import annotations

import argparse
import sys

from tools.curriculum import commit_info
from tools.exercises import find_exercises, select
from tools.impl import is_todo, learner_location


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("selector", help="a phase '0', a commit '0.2', or one exercise '0.2:merge'")
    args = parser.parse_args(argv)
    exercises = select(find_exercises(), args.selector)
    if not exercises:
        print(f"No exercise matches '{args.selector}'. Try a commit like 0.2 (see `make progress`).")
        return 2
    for commit in dict.fromkeys(ex.commit for ex in exercises):
        print(f"Commit {commit} — {commit_info(commit).title}")
        for ex in (e for e in exercises if e.commit == commit):
            state = "todo" if is_todo(ex) else "edited"
            where = learner_location(ex)
            print(f"  {ex.name:<22} [{state}] {where}\n      {ex.hint or '(no hint)'}")
        reading = commit_info(commit).read
        if reading:
            print("  Read: " + ", ".join(reading))
    return 0


if __name__ == "__main__":
    sys.exit(main())
