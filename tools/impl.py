"""Pick the code to run: the reference module, the learner's stub twin, or a per-exercise hybrid.

Used by the pytest `impl` fixture and by the checkpoint scripts, so that
`IMPL=reference make checkpoint0` and `make phase0.2` honour the same switch:
`MNC_IMPL=learner` (the default for checkpoints and `make phaseX.Y`) runs
`<package>/exercises/<module>.py`, `MNC_IMPL=reference` runs the reference.

Tests do not run the learner's whole file: a test of exercise E gets a *hybrid*
module (`hybrid_module`) in which only region E (and the regions the test
declares with `@pytest.mark.needs`) is the learner's code and every other
region is the reference. So a bug in `encode` can never fail the test of a
correct `decode`: no cascades, and each failure is blamed on the right exercise.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import os
import re
import sys
import types
from dataclasses import dataclass
from pathlib import Path

from tools.exercises import REPO_ROOT, Exercise, ExerciseFormatError, find_exercises, parse_regions, select, stub_body


def current_impl(default: str = "reference") -> str:
    impl = os.environ.get("MNC_IMPL") or default
    if impl not in ("reference", "learner"):
        raise ValueError(f"MNC_IMPL={impl!r}: use 'reference' or 'learner' (e.g. `IMPL=reference make checkpoint0`)")
    return impl


def load_impl(module: str, impl: str | None = None):
    """import `module` (reference) or its `exercises.` twin (learner), falling back to the reference
    when the module has no exercises. The checkpoints run the learner's whole file this way."""
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


def learner_location(ex: Exercise, root: Path | None = None) -> str:
    """'phase0_tokenizer/exercises/bpe.py:52': where the learner writes `ex`."""
    region = learner_region(ex)
    where = _show(ex.stub_path, root)
    return f"{where}:{region.start + 1}" if region else where


def learner_todo(selector: str | None = None) -> list[Exercise]:
    """Exercises (in a phase '0', commit '0.2', or everywhere) still left as untouched stubs."""
    return [ex for ex in select(find_exercises(), selector) if is_todo(ex)]


def _show(path: Path, root: Path | None = None) -> str:
    try:
        return path.resolve().relative_to((root or REPO_ROOT).resolve()).as_posix()
    except ValueError:
        return str(path)


# ---------------------------------------------------------------------------------------------
# Hybrids: one exercise's learner code, everything else the reference.

@dataclass
class Hybrid:
    module: types.ModuleType
    note: str = ""   # e.g. "markers of 0.2 merge are gone: your whole file was tested"


_HYBRIDS: dict[tuple, Hybrid] = {}


def hybrid_source(ref_path: Path, regions: list[Exercise], keys: set[str], mode: str,
                  ) -> tuple[Path, list[str], list[int], str]:
    """(file, hybrid lines, line map, note) for one module.

    mode "learner": the learner's file, with every region NOT in `keys` swapped back to the
    reference body (so the learner's helpers and imports outside the markers stay).
    mode "stub": the reference file with the regions in `keys` replaced by the stub body (what
    `--stub-check` runs: stubbing only the exercise a test is tagged with must fail it).
    The line map gives, for each hybrid line, the line of `file` it came from (a swapped-in body
    maps to its region's opening marker), so tracebacks and syntax errors point into that file.
    """
    ref_lines = ref_path.read_text(encoding="utf-8").splitlines()
    by_key = {r.key: r for r in regions}
    if mode == "stub":
        base_path, base_lines = ref_path, ref_lines
        swaps = {k: stub_body(by_key[k]) for k in keys if k in by_key}
        base_regions = [r for r in regions if r.key in swaps]
        note = ""
    else:
        ex = regions[0]
        base_path = ex.stub_path
        base_lines = base_path.read_text(encoding="utf-8").splitlines()
        try:
            learner_regions = {r.key: r for r in parse_regions(base_path, base_lines, module=ex.stub_module)}
        except ExerciseFormatError as e:
            learner_regions, broken = {}, str(e)
        else:
            broken = ""
        missing = sorted(k for k in keys if k in by_key and k not in learner_regions)
        if broken or missing:  # cannot tell which code is which: test the learner's whole file
            why = broken or f"the '# >>> exercise {missing[0]}' markers are gone"
            return base_path, base_lines, list(range(1, len(base_lines) + 1)), \
                f"{why}: your whole file {_show(base_path)} was tested (other exercises in it included)"
        swaps = {k: ref_lines[r.start + 1:r.end] for k, r in by_key.items()
                 if k not in keys and k in learner_regions}
        base_regions = [learner_regions[k] for k in swaps]
        note = ""
    lines: list[str] = []
    line_map: list[int] = []
    cursor = 0
    for region in sorted(base_regions, key=lambda r: r.start):
        lines += base_lines[cursor:region.start + 1]
        line_map += range(cursor + 1, region.start + 2)
        body = swaps[region.key]
        lines += body
        line_map += [region.start + 1] * len(body)
        cursor = region.end
    lines += base_lines[cursor:]
    line_map += range(cursor + 1, len(base_lines) + 1)
    return base_path, lines, line_map, note


def compile_mapped(lines: list[str], line_map: list[int], filename: str):
    """Compile hybrid source whose line numbers are reported through `line_map` (1-based)."""
    source = "\n".join(lines) + "\n"

    def where(n: int | None) -> int | None:
        if n is None:
            return None
        return line_map[min(max(n, 1), len(line_map)) - 1] if line_map else n

    try:
        tree = ast.parse(source, filename)
    except SyntaxError as e:  # point at the line in the learner's file, with Python's own message
        lineno = where(e.lineno)
        raw = Path(filename).read_text(encoding="utf-8").splitlines() if Path(filename).exists() else lines
        text = raw[lineno - 1] if lineno and lineno <= len(raw) else e.text
        err = type(e)(e.msg, (filename, lineno, e.offset, text))
        raise err from None
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) is not None:
            node.lineno, node.end_lineno = where(node.lineno), where(node.end_lineno)
            if node.end_lineno is not None and node.end_lineno < node.lineno:
                node.end_lineno = node.lineno
            if node.end_lineno == node.lineno and (node.end_col_offset or 0) < (node.col_offset or 0):
                node.end_col_offset = node.col_offset
    return compile(tree, filename, "exec")


def hybrid_module(module: str, keys: set[str], mode: str = "learner",
                  exercises: list[Exercise] | None = None) -> Hybrid:
    """`module` with the regions in `keys` taken from the learner (mode "learner") or stubbed
    (mode "stub") and every other region from the reference. A module holding none of `keys`
    is the reference module itself. Built once per (module, keys, file version)."""
    exercises = find_exercises() if exercises is None else exercises
    regions = [ex for ex in exercises if ex.module == module]
    mine = {k for k in keys if any(r.key == k for r in regions)}
    if not mine:
        return Hybrid(importlib.import_module(module))
    ref_path = regions[0].path
    watched = ref_path if mode == "stub" else regions[0].stub_path
    if mode == "learner" and not watched.exists():
        raise FileNotFoundError(f"{_show(watched)} is missing: run `make reset EX={regions[0].commit}` to recreate it")
    stat = watched.stat()
    cache_key = (module, frozenset(mine), mode, str(watched), stat.st_mtime_ns, stat.st_size)
    if cache_key in _HYBRIDS:
        return _HYBRIDS[cache_key]
    path, lines, line_map, note = hybrid_source(ref_path, regions, mine, mode)
    code = compile_mapped(lines, line_map, str(path))
    tag = re.sub(r"\W", "_", "_".join(sorted(mine)))
    name = f"_mnc_{mode}_{module.replace('.', '_')}__{tag}"
    mod = types.ModuleType(name, None)
    mod.__file__ = str(path)
    mod.__package__ = module.rpartition(".")[0]
    sys.modules[name] = mod  # dataclasses and pickle look a class's module up by name
    try:
        exec(code, mod.__dict__)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    _HYBRIDS[cache_key] = Hybrid(mod, note)
    return _HYBRIDS[cache_key]
