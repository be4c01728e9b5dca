"""Tests that kill the honesty-machinery mutants of tools/mutations/mutations.py.

Each test plants a small fake case (a test file in tmp_path, a fake course, a decoy challenge)
and checks the machinery reports it as what it is. Each names the mutant it kills: with that
one-line bug planted (python -m tools.mutate --only ID) the test fails.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _pytest(tmp_path, *args, source: str | None = None, cwd=None):
    """Run pytest with the course plugin on a test file written to tmp_path; (returncode, output)."""
    if source is not None:
        (tmp_path / "test_fake.py").write_text(textwrap.dedent(source))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")])}
    env.pop("MNC_IMPL", None)
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "tools.pytest_plugin", "-p", "no:cacheprovider",
           "--rootdir", str(tmp_path), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd or REPO, env=env)
    return proc.returncode, proc.stdout + proc.stderr


def test_an_unknown_exercise_tag_stops_the_run(tmp_path):
    """Kills t-unknown-tag-only-printed: a typo in a tag must not silently test nothing."""
    code, out = _pytest(tmp_path, str(tmp_path / "test_fake.py"), source='''\
        import pytest

        @pytest.mark.commit("0.2", "no_such_exercise")
        def test_tagged_with_a_typo():
            assert True
        ''')
    assert code == 4, out  # pytest's usage error
    assert "no_such_exercise" in out, out


def test_learner_mode_leaves_out_tests_that_name_no_exercise(tmp_path):
    """Kills t-learner-runs-untagged: reference-only checks must not be blamed on the learner."""
    code, out = _pytest(tmp_path, "--impl=learner", str(tmp_path / "test_fake.py"), source='''\
        import pytest

        @pytest.mark.commit("0.2")
        def test_checks_reference_only_code():
            assert False, "learner mode ran a test that names no exercise"
        ''')
    assert code == 5, out  # every test deselected: nothing ran
    assert "1 deselected" in out, out


def test_an_orphaned_stub_is_reported(tmp_path):
    """Kills t-orphan-stub-folder-typo: a stub whose reference lost its regions must be flagged."""
    from tools.stubgen import stale_stubs, write_stubs
    pkg = tmp_path / "phase9_demo"
    (pkg / "exercises").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "geometry.py").write_text('def area(r):\n    # >>> exercise 9.1 area\n    return 3 * r * r\n'
                                     '    # <<< exercise 9.1 area\n')
    write_stubs(tmp_path)
    assert stale_stubs(tmp_path) == []
    (pkg / "exercises" / "old_module.py").write_text("def gone():\n    raise NotImplementedError\n")
    assert stale_stubs(tmp_path) == ["orphaned (no reference regions): phase9_demo/exercises/old_module.py"]


def test_a_challenge_for_a_commit_without_tests_is_not_caught(tmp_path):
    """Kills t-challenge-any-failure-caught: a run with no failing test (here: no test at all) is no catch."""
    from tools.challenges import read_challenge, run_challenge
    path = tmp_path / "debug_no_tests.py"
    path.write_text('TARGET = "phase0_tokenizer.bpe"\nCOMMIT = "0.99"\n\n\n'
                    'def merge(ids, pair, new_id):\n    return []\n')
    caught, detail = run_challenge(read_challenge(path))
    assert not caught, detail
