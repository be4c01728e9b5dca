"""Phases import only downward (DESIGN.md, "Dependencies between phases").

Code in phaseK_* may import phases < K, torch, numpy and the standard library; never a
phase >= K+1 and never tools/. Not at module level, not inside a function, not through
importlib.import_module("...") or __import__("..."). The test parses every module of
every phase package (its tests and generated exercise stubs included) with `ast`, so an
import hidden in a function body cannot slip through, and names the file and line of
each violation.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PHASE = re.compile(r"^phase(\d+)_\w+$")
PACKAGES = sorted(p.name for p in REPO.iterdir() if p.is_dir() and PHASE.match(p.name))


def phase_of(module: str) -> int | None:
    m = PHASE.match(module.split(".")[0])
    return int(m[1]) if m else None


def imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) for every import statement and every importlib.import_module / __import__ call
    with a constant string argument, wherever it sits (module level, function, class, try block)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name in ("import_module", "__import__", "load_impl"):
                found.append((node.lineno, node.args[0].value.split(":")[0]))
    return found


def violations(path: Path, own_phase: int) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    bad = []
    for line, module in imported_modules(tree):
        top = module.split(".")[0]
        other = phase_of(module)
        if top == "tools" or (other is not None and other > own_phase):
            bad.append(f"{path.relative_to(REPO)}:{line}: phase {own_phase} imports {module}")
    return bad


def test_there_are_phase_packages_to_check():
    assert [phase_of(p) for p in PACKAGES] == list(range(len(PACKAGES))) and len(PACKAGES) >= 5


@pytest.mark.parametrize("package", PACKAGES)
def test_phase_imports_only_earlier_phases(package):
    own = phase_of(package)
    bad = [v for path in sorted((REPO / package).rglob("*.py")) for v in violations(path, own)]
    assert not bad, "upward imports (phase K may import only phases < K, never tools/):\n" + "\n".join(bad)


def test_the_checker_catches_hidden_upward_imports(tmp_path):
    """The checker itself: a planted import of each kind is reported with its line."""
    planted = tmp_path / "phase2_training" / "mod.py"
    planted.parent.mkdir()
    planted.write_text("import torch\nfrom phase1_model import GPT\n\n"
                       "def f():\n    from phase3_optim.precision import LossScaler\n\n"
                       "def g():\n    import importlib\n    return importlib.import_module('phase4_distributed.dist')\n"
                       "from tools.impl import load_impl\n")
    tree = ast.parse(planted.read_text())
    found = sorted((line, m) for line, m in imported_modules(tree) if m.startswith(("phase3", "phase4", "tools")))
    assert found == [(5, "phase3_optim.precision"), (9, "phase4_distributed.dist"), (10, "tools.impl")]


def test_phase_packages_import_without_cycles():
    """Importing each package alone, lowest first, in a fresh interpreter never needs a later one."""
    import subprocess
    import sys
    code = ("import sys\n"
            f"for name in {PACKAGES!r}:\n"
            "    before = set(sys.modules)\n"
            "    __import__(name + '.__init__')\n"
            "    later = sorted(m for m in set(sys.modules) - before if m.startswith('phase')\n"
            "                   and int(m.split('_')[0][5:]) > int(name.split('_')[0][5:]))\n"
            "    assert not later, (name, later)\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
