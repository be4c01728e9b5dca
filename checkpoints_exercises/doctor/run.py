"""Run one case of the training-doctor lab (README.md), or its documented fix:

    python -m checkpoints_exercises.doctor.run 1            # case 1 as its owner ran it
    python -m checkpoints_exercises.doctor.run 1 --fixed    # the fix of SOLUTIONS.md (spoiler)
    python -m checkpoints_exercises.doctor.run --list       # the cases

Each run writes a fresh runs/doctor/case<N>_<name>[-fixed]/ (an older run there is
moved aside to <folder>.old-<time>, never deleted): metrics.jsonl, loss.png, a
checkpoint and samples.txt, and prints where they are and the first numbers to look at.
Make: `make doctor CASE=1`, `make doctor CASE=1 FIXED=1`.
"""

from __future__ import annotations

import argparse
import sys

from checkpoints_exercises.doctor.lab import all_cases, find_case, run_case, summary_lines
from phase1_model import ConfigError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run a training-doctor case (checkpoints_exercises/doctor).")
    parser.add_argument("case", nargs="?", help="the case: its number (1) or name (loss_climbs)")
    parser.add_argument("--fixed", action="store_true", help="run the documented fix instead (a spoiler)")
    parser.add_argument("--out", default=None, help="output folder (default runs/doctor/case<N>_<name>[-fixed])")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)
    if args.list or args.case is None:
        for case in all_cases():
            print(f"{case.number}  {case.name:<22} {case.title}")
        return 0 if args.list else 2
    try:
        case = find_case(args.case)
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{case.title}{'  [the documented fix]' if args.fixed else ''}")
    try:
        result = run_case(case, fixed=args.fixed, out_dir=args.out)
    except ConfigError as e:  # another trainer holds the out_dir's lock, or it is not writable
        print(f"error: {e}", file=sys.stderr)
        return 2
    print()
    print("\n".join(summary_lines(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
