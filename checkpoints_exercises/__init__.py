"""Phase checkpoints and exercises beyond the stubs: understanding, extension, debugging challenges, research."""

from __future__ import annotations

import argparse
import os

IMPLS = ("learner", "reference")


def parse_checkpoint_args(parser: argparse.ArgumentParser, argv: list[str] | None,
                          package: str) -> argparse.Namespace:
    """Parse a checkpoint's command line with `--impl reference|learner` added, then print which code runs.

    The default follows `make checkpointN IMPL=...`, which exports MNC_IMPL: $MNC_IMPL, else $IMPL
    (so `IMPL=reference python -m ...` means what it says), else learner. The choice is printed
    first, because a checkpoint that fails on untouched stubs looks like a broken checkpoint.
    """
    parser.add_argument("--impl", choices=IMPLS, default=None,
                        help=f"learner: your code in {package}/exercises/; reference: ours "
                             "(default: $MNC_IMPL, else $IMPL, else learner)")
    args = parser.parse_args(argv)
    if args.impl is None:
        var = next((v for v in ("MNC_IMPL", "IMPL") if os.environ.get(v)), None)
        args.impl = os.environ[var] if var else "learner"
        if args.impl not in IMPLS:
            parser.error(f"{var}={args.impl!r}: use reference or learner (or pass --impl reference)")
    if args.impl == "reference":
        print("running the reference implementation")
    else:
        print(f"running your code ({package}/exercises/); --impl reference runs ours")
    return args
