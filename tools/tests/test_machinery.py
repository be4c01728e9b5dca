"""The course machinery itself: regions, stubs, reset, TODO detection, timeouts, challenges.

These run against a small fake course in tmp_path, so they do not depend on
which phases exist yet.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tools.exercises import ExerciseFormatError, find_exercises, parse_regions, select
from tools.impl import is_todo
from tools.reset import reset_file
from tools.stubgen import render_stub, stale_stubs, write_stubs

REFERENCE = textwrap.dedent('''\
    """A tiny module."""

    import math


    def area(r):
        """Area of a circle."""
        # >>> exercise 9.1 area
        return math.pi * r * r
        # <<< exercise 9.1 area


    def double(x):
        """Twice x."""
        # >>> exercise 9.1 double
        y = x + x
        return y
        # <<< exercise 9.1 double


    UNMARKED = 42
    ''')


@pytest.fixture
def course(tmp_path):
    pkg = tmp_path / "phase9_demo"
    (pkg / "exercises").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "geometry.py").write_text(REFERENCE)
    return tmp_path


def test_regions_are_found_with_commit_and_name(course):
    exercises = find_exercises(course)
    assert [(e.commit, e.name) for e in exercises] == [("9.1", "area"), ("9.1", "double")]
    assert [(e.start, e.end) for e in exercises] == [(7, 9), (14, 17)]  # 0-based marker lines of REFERENCE
    assert exercises[0].module == "phase9_demo.geometry"
    assert exercises[0].stub_module == "phase9_demo.exercises.geometry"
    assert [e.name for e in select(exercises, "9.1:double")] == ["double"]
    assert select(exercises, "9") == exercises and select(exercises, "8") == []


@pytest.mark.parametrize("bad, message", [
    ("# >>> exercise 9.1 a\npass\n", "never closed"),
    ("# <<< exercise 9.1 a\n", "closes nothing"),
    ("# >>> exercise 9.1 a\n# >>> exercise 9.1 b\n", "inside exercise"),
    ("# >>> exercise 9.1 a\n# <<< exercise 9.1 b\n", "closes nothing"),
    # hints live in tools/hints/<commit>.md: text after the name is refused, at its line, with the fix
    ("x = 1\n# >>> exercise 9.1 a: walk the list once\n# <<< exercise 9.1 a\n",
     r"m\.py:2: .*nothing after the name.*move hints to tools/hints/9\.1\.md"),
    ("# >>> exercise 9.1 a and more\n# <<< exercise 9.1 a\n", r"m\.py:1: .*move hints to tools/hints/9\.1\.md"),
    ("# >>> exercise a\n# <<< exercise 9.1 a\n", r"m\.py:1: .*exactly '# >>> exercise <commit> <name>'"),
])
def test_malformed_regions_are_clear_errors(tmp_path, bad, message):
    path = tmp_path / "m.py"
    path.write_text(bad)
    with pytest.raises(ExerciseFormatError, match=message):
        parse_regions(path, module="m")


def test_stub_replaces_only_region_bodies_and_keeps_markers(course):
    stub = render_stub(course / "phase9_demo" / "geometry.py", root=course)
    assert "math.pi * r * r" not in stub and "y = x + x" not in stub
    assert 'raise NotImplementedError("exercise 9.1 area")' in stub
    assert "Stuck? make hint EX=9.1:area" in stub and "Stuck? make hint EX=9.1:double" in stub
    assert "    # >>> exercise 9.1 area\n" in stub and "# <<< exercise 9.1 double" in stub
    assert '"""Area of a circle."""' in stub and "UNMARKED = 42" in stub and "import math" in stub
    compile(stub, "stub", "exec")  # still valid Python


def test_stale_stub_is_detected_and_regenerated(course):
    assert any("missing" in p for p in stale_stubs(course))
    write_stubs(course)
    assert stale_stubs(course) == []
    stub = course / "phase9_demo" / "exercises" / "geometry.py"
    stub.write_text(stub.read_text() + "# edited\n")
    assert stale_stubs(course) == ["out of date: phase9_demo/exercises/geometry.py"]


def test_todo_until_the_learner_edits_the_region(course):
    write_stubs(course)
    area, double = find_exercises(course)
    assert is_todo(area) and is_todo(double)
    stub = area.stub_path
    stub.write_text(stub.read_text().replace('raise NotImplementedError("exercise 9.1 area")', "return 3.14 * r * r"))
    assert not is_todo(area) and is_todo(double)


def test_reset_restores_only_the_chosen_region_and_backs_up(course, tmp_path):
    write_stubs(course)
    area, double = find_exercises(course)
    stub = area.stub_path
    edited = (stub.read_text()
              .replace('raise NotImplementedError("exercise 9.1 area")', "return 3.14 * r * r")
              .replace('raise NotImplementedError("exercise 9.1 double")', "return 2 * x"))
    stub.write_text(edited)
    backups = tmp_path / "backups"
    reset_file(stub, [area], backup_dir=backups)
    text = stub.read_text()
    assert 'raise NotImplementedError("exercise 9.1 area")' in text  # area reset
    assert "return 2 * x" in text                                    # double kept
    [saved] = backups.iterdir()
    assert saved.read_text() == edited


def test_reset_restores_the_whole_file_when_markers_are_gone(course, tmp_path):
    write_stubs(course)
    area, _ = find_exercises(course)
    area.stub_path.write_text("def area(r):\n    return 1\n")
    reset_file(area.stub_path, [area], backup_dir=tmp_path / "b")
    assert area.stub_path.read_text() == render_stub(area.path, root=course)


def test_a_hanging_test_fails_with_a_clear_message_instead_of_hanging(tmp_path):
    (tmp_path / "test_hang.py").write_text("def test_forever():\n    while True:\n        pass\n")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "tools.pytest_plugin", "-p", "no:cacheprovider",
                           "--impl=reference", "--mnc-timeout=1", "--rootdir", str(tmp_path),
                           str(tmp_path / "test_hang.py")],
                          capture_output=True, text=True, timeout=60, cwd=Path(__file__).parents[2])
    assert proc.returncode == 1
    assert "infinite loop" in proc.stdout


def test_learner_location_points_at_the_marker_in_the_stub(course, monkeypatch):
    import tools.impl
    monkeypatch.setattr(tools.impl, "REPO_ROOT", course)
    write_stubs(course)
    _, double = find_exercises(course)
    path, line = tools.impl.learner_location(double).rsplit(":", 1)
    assert path == "phase9_demo/exercises/geometry.py"
    assert double.stub_path.read_text().splitlines()[int(line) - 1].startswith("    # >>> exercise 9.1 double")


def test_a_challenge_replaces_functions_in_a_copy_and_never_in_the_real_module(tmp_path):
    import phase0_tokenizer.bpe as real
    from tools.challenges import load_challenge
    path = tmp_path / "debug_empty_merge.py"
    path.write_text('TARGET = "phase0_tokenizer.bpe"\nCOMMIT = "0.2"\n\n\n'
                    'def merge(ids, pair, new_id):\n    return []\n')
    target, copy = load_challenge(path)
    assert target == "phase0_tokenizer.bpe"
    assert copy.merge([1, 2], (1, 2), 256) == []
    assert copy.train_bpe.__globals__["merge"] is copy.merge  # the copy's other functions call the bug
    assert real.merge([1, 2], (1, 2), 256) == [256]


def test_a_challenge_that_does_not_load_is_reported_broken_not_caught(tmp_path):
    from tools.challenges import read_challenge, run_challenge
    path = tmp_path / "debug_broken.py"
    path.write_text('TARGET = "phase0_tokenizer.bpe"\nCOMMIT = "0.2"\nEXERCISE = "merge"\n'
                    'undefined_name.attribute = 1\n')
    caught, detail = run_challenge(read_challenge(path))
    assert not caught and detail.startswith("BROKEN: the file does not load: NameError")
