"""A tiny course in a temporary folder, for the machinery's own tests.

`make_course(tmp_path)` writes `phase9_demo/` (a reference module with two
exercises, its generated stubs and an exercise test for each) and returns the
folder. `pytest_in(root, ...)` runs pytest there with the course plugin, and
`env_for(root)` is the environment a child process needs to import both the
course and `tools`. Nothing here imports torch: the checks run in about a second.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tools.exercises import REPO_ROOT
from tools.stubgen import write_stubs

REFERENCE = textwrap.dedent('''\
    """Two small exercises, and one function that uses both."""


    def double(x):
        """Twice x."""
        # >>> exercise 9.1 double
        return x + x
        # <<< exercise 9.1 double


    def square(x):
        """x squared."""
        # >>> exercise 9.1 square
        return x * x
        # <<< exercise 9.1 square


    def double_square(x):
        return double(square(x))
    ''')

TESTS = textwrap.dedent('''\
    import pytest


    @pytest.mark.commit("9.1", "double")
    def test_double_doubles(impl):
        assert impl("phase9_demo.arith").double(3) == 6


    @pytest.mark.commit("9.1", "square")
    def test_square_squares(impl):
        assert impl("phase9_demo.arith").square(3) == 9
    ''')


def make_course(tmp_path: Path, reference: str = REFERENCE, tests: str = TESTS, module: str = "arith") -> Path:
    """A course root holding phase9_demo with `module` (reference + stub) and its tests."""
    pkg = tmp_path / "phase9_demo"
    (pkg / "tests").mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "tests" / "__init__.py").write_text("")
    (pkg / f"{module}.py").write_text(reference)
    (pkg / "tests" / f"test_{module}.py").write_text(tests)
    write_stubs(tmp_path)
    return tmp_path


def env_for(root: Path, **extra: str) -> dict[str, str]:
    # No third-party pytest plugins (hypothesis, benchmark): the course needs none, and loading
    # them costs a child process four times its run.
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO_ROOT), str(root)]),
               PYTEST_DISABLE_PLUGIN_AUTOLOAD="1", **extra)
    env.pop("MNC_IMPL", None)
    return env


def pytest_in(root: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run pytest on the course at `root` with the course plugin; the finished process."""
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "tools.pytest_plugin", "-p", "no:cacheprovider",
           "--rootdir", str(root), *args]
    return subprocess.run(cmd, cwd=root, env=env_for(root), capture_output=True, text=True, timeout=timeout)


def learner_writes(root: Path, exercise: str, body: str, module: str = "arith") -> Path:
    """Put `body` (indented like the region) in place of the stub body of `exercise` ('double')."""
    stub = root / "phase9_demo" / "exercises" / f"{module}.py"
    lines = stub.read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(f"# >>> exercise 9.1 {exercise}"))
    end = next(i for i, line in enumerate(lines) if line.strip() == f"# <<< exercise 9.1 {exercise}")
    indent = lines[start][:len(lines[start]) - len(lines[start].lstrip())]
    lines[start + 1:end] = [indent + line if line else line for line in textwrap.dedent(body).splitlines()]
    stub.write_text("\n".join(lines) + "\n")
    return stub
