"""The mutation tool itself, on a tiny fake repository: a caught bug, a survivor, a stale snippet."""

import re
import textwrap

from tools.mutate import Mutant, apply, load_list, main

LIST = textwrap.dedent('''\
    from tools.mutate import Mutant
    MUTANTS = [
        Mutant("minus", "calc.py", "return a + b", "return a - b", "subtracts", ("test_calc.py",)),
        Mutant("untested", "calc.py", "return 1", "return 2", "nothing tests it", ("test_calc.py",)),
        Mutant("gone", "calc.py", "return a * b", "return a / b", "snippet not there", ("test_calc.py",)),
    ]
    ''')


def _fake_repo(tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pytest.ini").write_text("[pytest]\nmarkers =\n    slow: slow\n")
    (repo / "conftest.py").write_text("def pytest_addoption(parser):\n    parser.addoption('--impl')\n")
    (repo / "calc.py").write_text("def add(a, b):\n    return a + b\n\n\ndef unused():\n    return 1\n")
    (repo / "test_calc.py").write_text("from calc import add\n\n\ndef test_add():\n    assert add(2, 3) == 5\n")
    (tmp_path / "list.py").write_text(LIST)
    return repo


def test_apply_needs_the_snippet_exactly_once():
    m = Mutant("x", "f.py", "a", "b", "why", ("t",))
    assert apply("a c", m) == "b c"
    assert apply("a a", m) is None and apply("c", m) is None


def test_caught_survived_and_stale_on_a_fake_repo(tmp_path, capsys):
    repo = _fake_repo(tmp_path)
    before = (repo / "calc.py").read_text()
    code = main(["--list", str(tmp_path / "list.py"), "--root", str(repo), "--timeout", "60", "--no-baseline"])
    out = capsys.readouterr().out
    status = dict((m[2], m[1]) for m in re.finditer(r"^(\w+) +[\d.]+s +(\S+)", out, re.M))
    assert status == {"minus": "caught", "untested": "SURVIVED", "gone": "STALE"}
    assert "mutation score: 1/2 = 50.0%" in out
    assert code == 1                                   # 50% < the default 95%
    assert (repo / "calc.py").read_text() == before    # bugs go into a scratch copy only


def test_a_failing_baseline_is_not_counted_as_a_catch(tmp_path, capsys):
    repo = _fake_repo(tmp_path)
    (repo / "test_calc.py").write_text("def test_broken():\n    assert False\n")
    code = main(["--list", str(tmp_path / "list.py"), "--root", str(repo), "--only", "minus"])
    out = capsys.readouterr().out
    assert "BASELINE" in out and "mutation score: 0/0" in out and code == 1


def test_the_shipped_lists_load_and_their_ids_differ():
    from tools.mutate import DEFAULT_LIST
    main_list = load_list(DEFAULT_LIST)
    heldout = load_list(DEFAULT_LIST.with_name("heldout.py"))
    assert len(main_list) >= 60 and len(heldout) >= 15
    assert not {m.id for m in main_list} & {m.id for m in heldout}
    assert not {(m.file, m.find, m.replace) for m in main_list} & {(m.file, m.find, m.replace) for m in heldout}
