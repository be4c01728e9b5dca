"""SPOILERS. The documented fix of each case, which `run CASE --fixed` trains (SOLUTIONS.md says why).

A fix changes config values, or drops a piece the case replaced so that the stack's
own piece is used again (lab.build_trainer falls back to phase 2's and phase 3's).
Diagnose the case from its run before you read this file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field

from phase2_training.config import TrainConfig


@dataclass(frozen=True)
class Fix:
    config: dict = field(default_factory=dict)   # TrainConfig values to change
    drop: tuple[str, ...] = ()                   # the case's pieces to drop (lab.PIECES)


FIXES = {
    "loss_climbs": Fix(config={"lr": 3e-3}),
    "barely_moves": Fix(config={"lr": 3e-3}),
    "starts_too_high": Fix(drop=("init_model",)),
    "val_too_good": Fix(drop=("make_loaders",)),
    "loss_near_zero": Fix(drop=("make_loaders",)),
    "worse_than_baseline": Fix(drop=("make_optimizer",)),
    "val_rises": Fix(drop=("make_loaders",)),
}


def apply_fix(case, cfg: TrainConfig, pieces: dict[str, Callable]) -> tuple[TrainConfig, dict[str, Callable]]:
    """(config, pieces) of `case` with its fix applied."""
    if case.name not in FIXES:
        raise KeyError(f"case {case.slug} has no documented fix in fixes.py")
    fix = FIXES[case.name]  # a piece you already deleted from the case file is simply not there to drop
    return dataclasses.replace(cfg, **fix.config), {k: v for k, v in pieces.items() if k not in fix.drop}
