"""Pick the code to run: the reference module or the learner's stub twin.

Used by the pytest `impl` fixture and by the checkpoint scripts, so that
`IMPL=reference make checkpoint0` and `make phase0.2` honour the same switch:
`MNC_IMPL=learner` (the default for checkpoints and `make phaseX.Y`) runs
`<package>/exercises/<module>.py`, `MNC_IMPL=reference` runs the reference.
"""

from __future__ import annotations

import importlib
import importlib.util
import os

from tools.exercises import REPO_ROOT, Exercise, find_exercises, parse_regions, select, stub_body


def current_impl(default: str = "reference") -> str:
    impl = os.environ.get("MNC_IMPL") or default
    if impl not in ("reference", "learner"):
        raise ValueError(f"MNC_IMPL={impl!r}: use 'reference' or 'learner' (e.g. `IMPL=reference make checkpoint0`)")
    return impl


def load_impl(module: str, impl: str | None = None):
    """import `module` (reference) or its `exercises.` twin (learner), falling back to the reference
    when the module has no exercises."""
    impl = impl or current_impl()
    if impl == "learner":
        package, _, leaf = module.rpartition(".")
        stub = f"{package}.exercises.{leaf}"
        if importlib.util.find_spec(stub) is not None:
            return importlib.import_module(stub)
    return importlib.import_module(module)


def learner_region(ex: Exercise) -> Exercise | None:
    """The region of `ex` in the learner's stub file (None if the file or its markers are gone)."""
    path = ex.stub_path
    if not path.exists():
        return None
    try:
        regions = parse_regions(path, module=ex.stub_module)
    except ValueError:  # ExerciseFormatError: the learner broke a marker
        return None
    return next((r for r in regions if r.key == ex.key), None)


def is_todo(ex: Exercise) -> bool:
    """True while the learner's file still holds the untouched stub body for `ex`."""
    if not ex.stub_path.exists():
        return True
    region = learner_region(ex)
    if region is None:
        return False  # markers removed: the learner rewrote the region; let the tests judge
    body = ex.stub_path.read_text(encoding="utf-8").splitlines()[region.start + 1:region.end]
    return [line.strip() for line in body] == [line.strip() for line in stub_body(ex)]


def learner_location(ex: Exercise) -> str:
    """'phase0_tokenizer/exercises/bpe.py:52': where the learner writes `ex`."""
    region = learner_region(ex)
    where = ex.stub_path.relative_to(REPO_ROOT).as_posix()
    return f"{where}:{region.start + 1}" if region else where


def learner_todo(selector: str | None = None) -> list[Exercise]:
    """Exercises (in a phase '0', commit '0.2', or everywhere) still left as untouched stubs."""
    return [ex for ex in select(find_exercises(), selector) if is_todo(ex)]
