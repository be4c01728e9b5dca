"""The learner's runner cannot be fooled: each attack on it is a clear FAIL within the time limit.

One scratch course holds one exercise per attack (an infinite loop inside
`try/except Exception`, a loop at the top level of a file, `os._exit(0)`,
`SystemExit`, `KeyboardInterrupt`, a syntax error, a runaway allocation, a loop that
ignores every signal) plus a
correct exercise beside most of them. One `python -m tools.progress` run checks
them all, in parallel, each in its own child with a hard time and memory limit.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tools.tests.fake_course import env_for, learner_writes, make_course

LIMIT = 6.0  # seconds per exercise: room for a forked child's start-up on a loaded 2-core box

ATTACKS = {  # exercise name -> (learner's body, words the FAIL line must hold)
    "swallowed_loop": ("try:\n    while True:\n        pass\nexcept Exception:\n    pass\nreturn x",
                       ["no result within 6 s", "killed", "swallowed_loop_works", "infinite loop"]),
    "deaf_loop": ("import signal\nfor s in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM):\n"
                  "    signal.signal(s, signal.SIG_IGN)\nwhile True:\n    try:\n        pass\n"
                  "    except BaseException:\n        pass", ["no result within 6 s", "killed"]),
    "early_exit": ("import os\nos._exit(0)", ["exited with status 0", "os._exit()"]),
    "system_exit": ("raise SystemExit(0)", ["SystemExit", "sys.exit()"]),
    "interrupt": ("raise KeyboardInterrupt", ["KeyboardInterrupt", "interrupt_works"]),
    "syntax": ("return x +* 1", ["SyntaxError", "invalid syntax", "attacks.py, line", "return x +* 1"]),
    # bytes(n) maps zero pages without touching them: the cap (on address space) stops the loop at
    # once instead of after seconds of page faults, and without taking real memory from the box.
    "runaway": ("hoard = []\nwhile True:\n    hoard.append(bytes(10**8))", ["MemoryError", "out of memory"]),
}


def _reference() -> str:
    parts = ['"""One exercise per attack on the runner, and one honest exercise."""\n']
    for name in [*ATTACKS, "honest"]:
        parts.append(f"\n\ndef {name}(x):\n    # >>> exercise 9.1 {name}\n    return x\n"
                     f"    # <<< exercise 9.1 {name}\n")
    return "".join(parts)


def _tests(module: str, names: list[str]) -> str:
    return "import pytest\n" + "".join(
        f"\n\n@pytest.mark.commit('9.1', '{n}')\ndef test_{n}_works(impl):\n"
        f"    assert impl('phase9_demo.{module}').{n}(5) == 5\n" for n in names)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    """(exit code, {exercise: its report line}, output) of one progress run over every attack."""
    root = make_course(tmp_path_factory.mktemp("course"), _reference(), _tests("attacks", [*ATTACKS, "honest"]),
                       module="attacks")
    # A loop at the top level of a file runs on import: it gets a module of its own.
    make_course(root, '"""Top-level loop."""\n\n\ndef toplevel(x):\n    # >>> exercise 9.2 toplevel\n'
                      '    return x\n    # <<< exercise 9.2 toplevel\n', _tests("looping", ["toplevel"]).replace(
                          "'9.1'", "'9.2'"), module="looping")
    for name, (body, _) in ATTACKS.items():
        learner_writes(root, name, body, module="attacks")
    learner_writes(root, "honest", "return x", module="attacks")
    stub = root / "phase9_demo" / "exercises" / "looping.py"
    stub.write_text(stub.read_text().replace('raise NotImplementedError("exercise 9.2 toplevel")', "return x")
                    + "\nwhile True:  # the attack: a loop at the top level of the learner's file\n    pass\n")
    # The hang guard is subprocess's timeout (no timing is asserted): a runner that never killed
    # a hung child would stop here; one that does reports "no result within 6 s" per exercise.
    proc = subprocess.run([sys.executable, "-m", "tools.progress", "9", "--root", str(root), "--workers", "4",
                           "--timeout", str(LIMIT)], cwd=root, capture_output=True, text=True, timeout=300,
                          env=env_for(root, MNC_MEMORY_GB="1", COLUMNS="400"))
    lines = {}
    for line in proc.stdout.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] in "✔✘·" and words[2] in ("PASS", "FAIL", "TODO"):
            lines[words[1]] = line
    return proc.returncode, lines, proc.stdout + proc.stderr


@pytest.mark.parametrize("name", [*ATTACKS, "toplevel"])
def test_each_attack_is_a_clear_fail(attacked, name):
    code, lines, output = attacked
    assert code == 1, output  # a failed check, never 0 (os._exit(0) must not read as "all pass")
    assert name in lines, output
    assert "FAIL" in lines[name], lines[name]
    words = ATTACKS[name][1] if name in ATTACKS else ["no result within 6 s", "top level"]
    for word in words:
        assert word in lines[name], f"{word!r} missing from: {lines[name]}"


def test_an_honest_exercise_beside_the_attacks_passes(attacked):
    _, lines, output = attacked
    assert "PASS" in lines.get("honest", ""), output


def test_every_time_limit_names_a_real_exercise():
    from tools.curriculum import TIME_LIMITS, time_limit
    from tools.exercises import find_exercises
    keys = {ex.key for ex in find_exercises()}
    assert set(TIME_LIMITS) <= keys, f"tools/curriculum.py TIME_LIMITS names no exercise: {set(TIME_LIMITS) - keys}"
    assert all(time_limit(key) >= 10 for key in keys)  # start-up alone takes a few seconds
