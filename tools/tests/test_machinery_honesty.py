"""The honesty machinery, tested: each check reports what it is meant to catch, as what it is.

Every test plants one fault in a scratch course (tools/tests/fake_course.py) and
runs the real check on it: a stub that passes its test, an orphaned stub, an
unknown exercise tag, an exercise no test checks (with path arguments too), a
reset that would lose work, and decoy challenges that fail for the wrong reason.
Each of these tests fails if the check it covers is switched off.
"""

from __future__ import annotations

import textwrap

import pytest

from tools.tests.fake_course import TESTS, env_for, learner_writes, make_course, pytest_in

# -- no cascades -----------------------------------------------------------------------------


def test_a_test_of_one_exercise_runs_the_reference_for_every_other_exercise(tmp_path):
    root = make_course(tmp_path, tests=TESTS + textwrap.dedent('''

        @pytest.mark.commit("9.1", "double")
        def test_double_square_uses_the_learners_double(impl):
            assert impl("phase9_demo.arith").double_square(3) == 18
        '''))
    learner_writes(root, "double", "return 2 * x")       # right
    learner_writes(root, "square", "return x ** 3")      # wrong: must not fail double's tests
    proc = pytest_in(root, "--impl=learner", "-rA", "phase9_demo")
    assert "PASSED phase9_demo/tests/test_arith.py::test_double_doubles" in proc.stdout, proc.stdout
    assert "PASSED phase9_demo/tests/test_arith.py::test_double_square_uses_the_learners_double" in proc.stdout
    assert "FAILED phase9_demo/tests/test_arith.py::test_square_squares" in proc.stdout


def test_needs_puts_a_second_exercise_under_test_and_the_runner_names_the_dependency(tmp_path):
    import subprocess
    import sys
    root = make_course(tmp_path, tests=TESTS + textwrap.dedent('''

        @pytest.mark.commit("9.1", "double")
        @pytest.mark.needs("9.1 square")
        def test_double_square_of_the_learner(impl):
            assert impl("phase9_demo.arith").double_square(3) == 18
        '''))
    learner_writes(root, "double", "return 2 * x")
    learner_writes(root, "square", "return x ** 3")
    proc = pytest_in(root, "--impl=learner", "-rA", "phase9_demo")
    assert "FAILED phase9_demo/tests/test_arith.py::test_double_square_of_the_learner" in proc.stdout
    progress = subprocess.run([sys.executable, "-m", "tools.progress", "9.1", "--root", str(root)], cwd=root,
                              capture_output=True, text=True, timeout=120, env=env_for(root, COLUMNS="300"))
    double = next(line for line in progress.stdout.splitlines() if " double " in line)
    assert "FAIL" in double and "depends on 9.1 square" in double, progress.stdout


def test_when_the_learner_removes_the_markers_the_whole_file_is_tested_and_the_report_says_so(tmp_path):
    root = make_course(tmp_path)
    stub = root / "phase9_demo" / "exercises" / "arith.py"
    stub.write_text("def double(x):\n    return 2 * x\n\n\ndef square(x):\n    return x\n")
    proc = pytest_in(root, "--impl=learner", "-rA", "phase9_demo")
    assert "PASSED phase9_demo/tests/test_arith.py::test_double_doubles" in proc.stdout, proc.stdout
    from tools.exercises import find_exercises
    from tools.impl import hybrid_module
    square = next(ex for ex in find_exercises(root) if ex.name == "square")
    note = hybrid_module(square.module, {square.key}, exercises=[square]).note
    assert "markers are gone" in note and "whole file" in note


def test_a_syntax_error_in_the_learners_region_names_the_line_of_their_file(tmp_path):
    root = make_course(tmp_path)
    stub = learner_writes(root, "double", "return x +* 2")
    from tools.exercises import find_exercises
    from tools.impl import hybrid_module
    double, square = find_exercises(root)
    with pytest.raises(SyntaxError) as err:
        hybrid_module(double.module, {double.key}, exercises=[double, square])
    line = next(i for i, text in enumerate(stub.read_text().splitlines(), 1) if "+* 2" in text)
    assert err.value.filename == str(stub) and err.value.lineno == line
    # ...and square, whose region is fine, still loads: the broken region is double's alone.
    learner_writes(root, "square", "return x * x")
    assert hybrid_module(square.module, {square.key}, exercises=[double, square]).module.square(3) == 9


# -- strict xfail: a stub that passes its test is reported -----------------------------------


def test_stub_check_reports_a_test_that_passes_with_its_exercise_stubbed(tmp_path):
    root = make_course(tmp_path, tests=TESTS + textwrap.dedent('''

        @pytest.mark.commit("9.1", "square")
        def test_square_tag_on_a_test_that_never_calls_square(impl):
            assert impl("phase9_demo.arith").double(2) == 4
        '''))
    proc = pytest_in(root, "--stub-check", "phase9_demo")
    assert proc.returncode == 1, proc.stdout
    assert "XPASS(strict)" in proc.stdout and "test_square_tag_on_a_test_that_never_calls_square" in proc.stdout


def test_stub_check_passes_when_every_tag_is_honest(tmp_path):
    proc = pytest_in(make_course(tmp_path), "--stub-check", "phase9_demo")
    assert proc.returncode == 0, proc.stdout
    assert "2 xfailed" in proc.stdout


# -- stubs: orphans, unknown tags, untested exercises ------------------------------------------


def test_an_orphaned_stub_is_reported(tmp_path):
    from tools.stubgen import stale_stubs
    root = make_course(tmp_path)
    (root / "phase9_demo" / "exercises" / "gone.py").write_text("# stub of a module that no longer exists\n")
    assert stale_stubs(root) == ["orphaned (no reference regions): phase9_demo/exercises/gone.py"]


def test_an_unknown_exercise_tag_is_a_usage_error(tmp_path):
    root = make_course(tmp_path, tests=TESTS.replace('"9.1", "square"', '"9.1", "sqaure"'))
    proc = pytest_in(root, "phase9_demo")
    assert proc.returncode == 4  # pytest's usage error: nothing ran
    assert "exercise '9.1 sqaure'" in proc.stdout + proc.stderr


def test_an_unknown_needs_is_a_usage_error(tmp_path):
    tag = '@pytest.mark.commit("9.1", "square")'
    root = make_course(tmp_path, tests=TESTS.replace(tag, tag + '\n@pytest.mark.needs("9.1 dubble")'))
    proc = pytest_in(root, "phase9_demo")
    assert proc.returncode == 4 and "9.1 dubble" in proc.stdout + proc.stderr


@pytest.mark.parametrize("args", [[], ["phase9_demo"], ["phase9_demo/tests"], ["."]])
def test_an_exercise_without_a_test_is_reported_with_or_without_path_arguments(tmp_path, args):
    root = make_course(tmp_path, tests=TESTS.split('@pytest.mark.commit("9.1", "square")')[0])
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["phase9_demo"]\n')
    proc = pytest_in(root, "--stub-check", *args)
    assert proc.returncode == 4, proc.stdout
    assert "exercises with no exercise test" in proc.stdout + proc.stderr and "9.1 square" in proc.stdout + proc.stderr


def test_the_untested_check_leaves_alone_a_run_of_one_test_file(tmp_path):
    # One file of a package is a deliberate narrow run: its neighbours' exercises are not untested.
    root = make_course(tmp_path, tests=TESTS.split('@pytest.mark.commit("9.1", "square")')[0])
    proc = pytest_in(root, "--stub-check", "phase9_demo/tests/test_arith.py")
    assert proc.returncode == 0, proc.stdout


def test_a_reference_only_test_runs_in_reference_mode_and_is_skipped_in_learner_mode(tmp_path):
    root = make_course(tmp_path, tests=TESTS + textwrap.dedent('''

        @pytest.mark.commit("9.1", "square")
        @pytest.mark.reference_only
        def test_square_uses_our_exact_op_order(impl):
            assert impl("phase9_demo.arith").square.__code__.co_code == (lambda x: x * x).__code__.co_code
        '''))
    reference = pytest_in(root, "--impl=reference", "-rA", "phase9_demo")
    assert "PASSED phase9_demo/tests/test_arith.py::test_square_uses_our_exact_op_order" in reference.stdout
    learner_writes(root, "square", "return x ** 2")
    learner = pytest_in(root, "--impl=learner", "-rA", "phase9_demo")
    assert learner.returncode == 1 and "test_square_uses_our_exact_op_order" not in learner.stdout
    assert "PASSED phase9_demo/tests/test_arith.py::test_square_squares" in learner.stdout
    stubs = pytest_in(root, "--stub-check", "phase9_demo")
    assert stubs.returncode == 0 and "test_square_uses_our_exact_op_order" not in stubs.stdout


# -- reset never loses work -------------------------------------------------------------------


def test_two_resets_in_the_same_instant_keep_two_distinct_backups_and_restore_brings_each_back(
        tmp_path, monkeypatch):
    import datetime as real_datetime

    import tools.reset
    from tools.exercises import find_exercises
    from tools.restore import backups_of, restore

    class FrozenClock(real_datetime.datetime):  # every reset happens in the same microsecond
        @classmethod
        def now(cls, tz=None):
            return cls(2026, 1, 2, 3, 4, 5, 678901)

    monkeypatch.setattr(tools.reset, "datetime", FrozenClock)
    root = make_course(tmp_path)
    double, _ = find_exercises(root)
    backups = tmp_path / "backups"
    first = learner_writes(root, "double", "return 2 * x").read_text()
    tools.reset.reset_file(double.stub_path, [double], backup_dir=backups)
    second = learner_writes(root, "double", "return x + x  # second try").read_text()
    tools.reset.reset_file(double.stub_path, [double], backup_dir=backups)
    saved = backups_of(double.stub_path, backups)
    assert len(saved) == 2 and [p.read_text() for p in saved] == [first, second]
    stub_now = double.stub_path.read_text()
    assert "return 2 * x" not in stub_now
    restore(double.stub_path, saved[0], backups)
    assert double.stub_path.read_text() == first
    assert stub_now in [p.read_text() for p in backups_of(double.stub_path, backups)]  # restore backed up too


def test_restore_command_lists_and_brings_back_the_newest(tmp_path, monkeypatch, capsys):
    import tools.restore
    from tools.exercises import find_exercises
    from tools.reset import reset_file
    root = make_course(tmp_path)
    monkeypatch.setattr(tools.restore, "find_exercises", lambda: find_exercises(root))
    monkeypatch.setattr(tools.reset, "REPO_ROOT", root)
    double, _ = find_exercises(root)
    backups = tmp_path / "backups"
    mine = learner_writes(root, "double", "return 2 * x").read_text()
    reset_file(double.stub_path, [double], backup_dir=backups)
    assert tools.restore.main(["9.1", "--list"], backup_dir=backups) == 0
    assert "phase9_demo__exercises__arith.py." in capsys.readouterr().out
    assert tools.restore.main(["9.1"], backup_dir=backups) == 0
    assert double.stub_path.read_text() == mine


# -- challenges: caught only by an assertion in their exercise's tests ------------------------

HEADER = 'TARGET = "phase9_demo.arith"\nCOMMIT = "9.1"\nEXERCISE = "{exercise}"\n'


def _judge(root, monkeypatch, name, body, exercise="double", timeout=60.0):
    from tools.challenges import read_challenge, run_challenge
    monkeypatch.syspath_prepend(str(root))
    for variable in ("PYTHONPATH", "PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        monkeypatch.setenv(variable, env_for(root)[variable])
    folder = root / "checkpoints_exercises" / "phase9"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.py"
    path.write_text(f'"""A test file."""\n\n{HEADER.format(exercise=exercise)}\n\n{textwrap.dedent(body)}')
    return run_challenge(read_challenge(path), root, timeout=timeout)


def test_a_real_bug_is_caught_by_an_assertion(tmp_path, monkeypatch):
    ok, detail = _judge(make_course(tmp_path), monkeypatch, "debug_triple", "def double(x):\n    return 3 * x\n")
    assert ok and detail.startswith("caught: test_double_doubles")


def test_a_challenge_that_does_not_import_is_broken(tmp_path, monkeypatch):
    ok, detail = _judge(make_course(tmp_path), monkeypatch, "debug_import",
                        "from phase9_demo.nowhere import double  # noqa: F401\n")
    assert not ok and detail.startswith("BROKEN: the file does not load: ModuleNotFoundError")


def test_a_challenge_whose_only_effect_is_a_name_error_is_broken(tmp_path, monkeypatch):
    ok, detail = _judge(make_course(tmp_path), monkeypatch, "debug_name", "def double(x):\n    return dobule(x)\n")
    assert not ok and detail.startswith("BROKEN") and "NameError" in detail


def test_a_declared_symptom_counts_as_caught(tmp_path, monkeypatch):
    root = make_course(tmp_path)
    ok, detail = _judge(root, monkeypatch, "debug_recursion", "SYMPTOM = 'RecursionError'\n\n\n"
                        "def double(x):\n    return double(x)\n")
    assert ok and detail.startswith("caught"), detail


def test_a_challenge_for_an_exercise_no_test_checks_is_broken(tmp_path, monkeypatch):
    root = make_course(tmp_path, tests=TESTS.split('@pytest.mark.commit("9.1", "square")')[0])
    ok, detail = _judge(root, monkeypatch, "debug_square", "def square(x):\n    return x\n", exercise="square")
    assert not ok and detail.startswith("BROKEN: no learner-mode test of exercise 9.1 square ran"), detail


def test_a_challenge_that_only_hangs_is_broken_not_caught(tmp_path, monkeypatch):
    ok, detail = _judge(make_course(tmp_path), monkeypatch, "debug_hang",
                        "def double(x):\n    while True:\n        pass\n", timeout=2)
    assert not ok and detail.startswith("BROKEN") and "timed out" in detail, detail


def test_a_challenge_without_exercise_or_with_an_unknown_one_is_broken(tmp_path, monkeypatch):
    root = make_course(tmp_path)
    ok, detail = _judge(root, monkeypatch, "debug_typo", "def double(x):\n    return 3 * x\n", exercise="dubble")
    assert not ok and "is not an exercise" in detail


def test_a_challenge_no_test_notices_is_missed(tmp_path, monkeypatch):
    ok, detail = _judge(make_course(tmp_path), monkeypatch, "debug_harmless", "def double(x):\n    return x * 2\n")
    assert not ok and detail.startswith("MISSED")


def test_an_alternative_solution_must_pass_and_a_wrong_one_is_rejected(tmp_path, monkeypatch):
    root = make_course(tmp_path)
    ok, detail = _judge(root, monkeypatch, "alt_double_by_shift", "def double(x):\n    return x << 1\n")
    assert ok and detail.startswith("passes"), detail
    ok, detail = _judge(root, monkeypatch, "alt_double_wrong", "def double(x):\n    return x << 2\n")
    assert not ok and detail.startswith("REJECTED: test_double_doubles")
