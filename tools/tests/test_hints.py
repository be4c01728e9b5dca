"""Hints in layers: never in a stub, one level at a time from tools/hints/<commit>.md, and recorded.

The first two tests read the real course (the committed stubs, the real hints files); the rest run
against a small course in tmp_path (tools/tests/fake_course.py) with a hints file written here, so
they do not depend on the hints' wording. The opened-levels record goes to $MNC_PROGRESS_DIR, a
tmp folder (tools/tests/conftest.py): no test touches the learner's own .mnc-progress/.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

from tools import hint
from tools.exercises import REPO_ROOT, find_exercises, parse_regions
from tools.hint_levels import HintFormatError, load_hints, parse_hints
from tools.progress import report
from tools.tests.fake_course import env_for, learner_writes, make_course

# ---------------------------------------------------------------------------------------------
# The real course: stubs say only where to get a hint; every exercise has layered hints.

# What a TODO line may not contain once its `make hint EX=...` pointer is removed: code, i.e.
# brackets, operators, a call or attribute (`x.y`), a backtick or a digit (`tril(diagonal=T_k - T_q)`
# and `q @ k^T / sqrt(d)` each trip several). Prose punctuation (. , ; : ? !) is allowed.
CODE_LIKE = re.compile(r"[()\[\]{}=@<>*/+^~`|%&-]|\w\.\w|\d")


def stub_region_bodies():
    """(exercise, the non-blank lines between its markers in the COMMITTED stub), for every exercise."""
    exercises = find_exercises()
    regions = {}
    for path in sorted({ex.stub_path for ex in exercises}):
        for region in parse_regions(path, module="stub"):
            regions[region.key] = path.read_text(encoding="utf-8").splitlines()[region.start + 1:region.end]
    return [(ex, [line.strip() for line in regions.get(ex.key, ["(region missing from the stub)"]) if line.strip()])
            for ex in exercises]


def test_every_stub_region_is_only_the_todo_line_and_not_implemented():
    problems, todo_texts = [], set()
    for ex, body in stub_region_bodies():
        pointer = f"make hint EX={ex.commit}:{ex.name}"
        raise_line = f'raise NotImplementedError("exercise {ex.commit} {ex.name}")'
        if len(body) != 2 or not body[0].startswith("# TODO:") or body[1] != raise_line:
            problems.append(f"{ex.key}: the stub region is {body!r}, not a '# TODO:' line and {raise_line}")
            continue
        if pointer not in body[0]:
            problems.append(f"{ex.key}: the TODO line does not point at `{pointer}`: {body[0]!r}")
        rest = body[0].replace(pointer, "")
        if CODE_LIKE.search(rest):
            problems.append(f"{ex.key}: the TODO line holds something code-like "
                            f"({CODE_LIKE.search(rest)[0]!r}): {body[0]!r}")
        todo_texts.add(rest)
    assert not problems, "\n".join(problems)
    # One text for every exercise (the pointer aside): no TODO line paraphrases its own region.
    assert len(todo_texts) == 1, f"the TODO lines differ beyond their pointer: {sorted(todo_texts)}"


def test_every_exercise_has_a_hints_section_with_at_least_two_levels_and_no_section_is_orphaned():
    exercises = find_exercises()
    problems = []
    for path in sorted((REPO_ROOT / "tools" / "hints").glob("*.md")):
        if not any(ex.commit == path.stem for ex in exercises):
            problems.append(f"{path.relative_to(REPO_ROOT)}: commit {path.stem} has no exercises")
    for commit in dict.fromkeys(ex.commit for ex in exercises):
        try:
            hints = load_hints(commit, exercises)   # also: every section names an exercise of the commit
        except HintFormatError as e:
            problems.append(str(e))
            continue
        for ex in (e for e in exercises if e.commit == commit):
            levels = hints.get(ex.name, ())
            if len(levels) < 2:
                problems.append(f"{ex.key}: {len(levels)} hint level(s) in tools/hints/{commit}.md (needs >= 2: "
                                "the idea and where to read, then a nudge; the last may be pseudo-code)")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------
# The loader: a hints file is read exactly, or refused at the line that is wrong.

GOOD = textwrap.dedent("""\
    # Hints for commit 9.1 — Demo arithmetic

    <!-- A note for the authors,
         on two lines: never shown. -->

    ## double

    ### Level 1

    Read the docstring.

    ### Level 2

    DOUBLE-L2: add it to itself.

    ## square

    ### Level 1

    Read the docstring.

    ### Level 2

    SQUARE-L2: multiply.

    ```python
    # a comment inside a fence is code, not a heading
    y = x * x
    ```

    #### A prose heading inside a level

    More prose.

    ### Level 3

    SQUARE-L3: return x times x.
    """)


def write_hints(root: Path, text: str, commit: str = "9.1") -> Path:
    path = root / "tools" / "hints" / f"{commit}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_hints_file_parses_into_levels_in_order(tmp_path):
    sections = parse_hints(write_hints(tmp_path, GOOD))
    assert list(sections) == ["double", "square"]
    assert sections["double"].levels == ("Read the docstring.", "DOUBLE-L2: add it to itself.")
    assert sections["double"].line == 6 and sections["square"].line == 16
    square = sections["square"].levels
    assert len(square) == 3 and square[2] == "SQUARE-L3: return x times x."
    assert square[1].startswith("SQUARE-L2: multiply.") and "# a comment inside a fence" in square[1]
    assert "#### A prose heading inside a level\n\nMore prose." in square[1]
    assert not any("A note for the authors" in level for s in sections.values() for level in s.levels)


def _replace(old: str, new: str) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, 1)


# (the file's text, the line the error must name, a fragment of the error)
MALFORMED = {
    "duplicate section": (GOOD + "\n## double\n\n### Level 1\n\nagain\n", 39, "a second '## double' section"),
    "level 2 first": (_replace("### Level 1\n\nRead the docstring.\n\n### Level 2\n\nDOUBLE",
                               "### Level 2\n\nRead the docstring.\n\n### Level 1\n\nDOUBLE"), 8,
                      "Level 2 where Level 1 comes next"),
    "level skipped": (_replace("### Level 3", "### Level 4"), 35, "Level 4 where Level 3 comes next"),
    "empty level": (_replace("DOUBLE-L2: add it to itself.\n", "\n"), 12, "'## double' Level 2 is empty"),
    "section without levels": (_replace("## square\n\n### Level 1\n\nRead the docstring.\n\n### Level 2",
                                        "## square\n\n## cube\n\n### Level 1\n\nRead the docstring.\n\n"
                                        "### Level 2"), 16, "'## square' has no '### Level 1'"),
    "text before level 1": (_replace("## double\n\n", "## double\n\nstray prose\n\n"), 8,
                            "before its '### Level 1'"),
    "not a level heading": (_replace("### Level 3", "### Hint 3"), 35, "exactly '### Level 1'"),
    "a code comment outside a fence": (_replace("More prose.", "# More prose."), 33, "unexpected heading"),
    "title of another commit": (_replace("commit 9.1", "commit 9.2"), 1, "the title names commit 9.2"),
    "no title": (GOOD.split("\n", 1)[1], 1, "must start with '# Hints for commit 9.1"),
    "unclosed fence": (GOOD + "\n```\n", 39, "never closed"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_hints_file_is_refused_at_its_line(tmp_path, case):
    text, line, fragment = MALFORMED[case]
    path = write_hints(tmp_path, text)
    with pytest.raises(HintFormatError) as error:
        parse_hints(path)
    assert str(error.value).startswith(f"{path}:{line}: "), str(error.value)
    assert fragment in str(error.value)


def test_a_section_for_an_exercise_the_code_does_not_have_is_refused(tmp_path):
    root = make_course(tmp_path)
    path = write_hints(root, GOOD + "\n## cube\n\n### Level 1\n\nx\n\n### Level 2\n\ny\n")
    with pytest.raises(HintFormatError, match=re.escape(f"{path}:39: '## cube' names no exercise of commit 9.1 "
                                                        "(its exercises: double, square)")):
        load_hints("9.1", find_exercises(root), root)
    assert load_hints("9.2", find_exercises(root), root) == {}  # no file: no hints, no error


# ---------------------------------------------------------------------------------------------
# `make hint` (tools/hint.py) on the fake course.


@pytest.fixture
def course(tmp_path):
    root = make_course(tmp_path / "course")
    write_hints(root, GOOD)
    return root


@pytest.fixture
def state():
    """The record `make hint` keeps, in the tmp MNC_PROGRESS_DIR (conftest.py)."""
    return Path(os.environ["MNC_PROGRESS_DIR"]) / "hints.json"


def run_hint(capsys, root, *args):
    rc = hint.main([*args, "--root", str(root)])  # an exception here (a traceback for the learner) fails the test
    out, err = capsys.readouterr()
    return rc, out, err


def opened(state):
    return json.loads(state.read_text())["opened"] if state.exists() else {}


def test_a_commit_gets_level_one_of_each_exercise_each_text_once(course, capsys, state):
    rc, out, _ = run_hint(capsys, course, "9.1")
    assert rc == 0
    assert "double [todo]" in out and "hint level 1 of 2" in out and "hint level 1 of 3" in out
    assert out.count("Read the docstring.") == 1      # both level 1s are this text: printed once
    assert "the same text as double's level 1 above" in out
    assert "L2" not in out and "L3" not in out         # no deeper level unasked
    assert opened(state) == {"9.1 double": [1], "9.1 square": [1]}


def test_level_two_prints_level_two_only(course, capsys, state):
    rc, out, _ = run_hint(capsys, course, "9.1:square", "--level", "2")
    assert rc == 0
    assert out.count("SQUARE-L2: multiply.") == 1 and "# a comment inside a fence" in out
    assert "Read the docstring." not in out and "SQUARE-L3" not in out and "double" not in out
    assert "make hint EX=9.1:square LEVEL=3" in out    # where the next level is
    assert opened(state) == {"9.1 square": [2]}


def test_the_last_level_says_so_and_offers_no_next(course, capsys):
    rc, out, _ = run_hint(capsys, course, "9.1:square", "--level", "3")
    assert rc == 0 and "SQUARE-L3: return x times x." in out
    assert "hint level 3 of 3 (the last)" in out and "LEVEL=4" not in out


def test_a_level_the_exercise_does_not_have_says_how_many_it_has(course, capsys, state):
    rc, out, err = run_hint(capsys, course, "9.1:double", "--level", "3")
    assert rc == 2
    assert "exercise 9.1 double has 2 levels" in out and "make hint EX=9.1:double LEVEL=2 is its last" in out
    assert "DOUBLE-L2" not in out and not state.exists()   # nothing shown, nothing recorded


def test_a_commit_at_a_level_only_some_exercises_have(course, capsys, state):
    rc, out, _ = run_hint(capsys, course, "9.1", "--level", "3")
    assert rc == 0
    assert "SQUARE-L3" in out and "exercise 9.1 double has 2 levels" in out and "DOUBLE-L2" not in out
    assert opened(state) == {"9.1 square": [3]}


@pytest.mark.parametrize("args, fragment", [
    (["9.1:cube"], "Commit 9.1 has no exercise 'cube'. Its exercises: double, square"),
    (["9.9"], "No exercise matches EX=9.9"),
    (["9:double"], "No exercise matches EX=9:double"),
    (["x;y"], "Commits with exercises: 9.1"),
    (["9.1", "--level", "two"], "LEVEL=two is not a level"),
    (["9.1", "--level", "0"], "LEVEL=0 is not a level"),
])
def test_a_bad_selector_or_level_exits_2_with_the_fix(course, capsys, state, args, fragment):
    rc, out, err = run_hint(capsys, course, *args)
    assert rc == 2 and fragment in err, err
    assert out == "" and not state.exists()


def test_a_malformed_hints_file_is_named_at_its_line_not_a_traceback(course, capsys):
    path = write_hints(course, _replace("### Level 3", "### Level 4"))
    rc, out, err = run_hint(capsys, course, "9.1")
    assert rc == 2 and f"{path}:35: " in err and "Level 4 where Level 3 comes next" in err


def test_opened_levels_accumulate_in_the_private_state_file(course, capsys, state):
    for args in (["9.1:square"], ["9.1:square", "--level", "2"], ["9.1:square"]):
        assert run_hint(capsys, course, *args)[0] == 0
    assert opened(state) == {"9.1 square": [1, 2]}              # once each, in order
    assert sorted(p.name for p in state.parent.iterdir()) == ["hints.json"]  # no temporary left behind
    assert not (course / ".mnc-progress").exists()              # the env var wins over the default


def test_a_corrupt_record_is_a_warning_and_starts_again(course, capsys, state):
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text("{not json")
    rc, out, err = run_hint(capsys, course, "9.1:double")
    assert rc == 0 and "Read the docstring." in out and "warning: ignoring" in err
    assert opened(state) == {"9.1 double": [1]}


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_hint_passes_level_and_keeps_the_reading_list(state):
    exercises = find_exercises()
    levels = load_hints("1.2", exercises)["multi_head_attention"]
    env = {**os.environ, "PYTHON": sys.executable, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run(["make", "hint", "EX=1.2:multi_head_attention", "LEVEL=2"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"hint level 2 of {len(levels)}" in proc.stdout and levels[1].splitlines()[0] in proc.stdout
    assert levels[0].splitlines()[0] not in proc.stdout
    assert "Read: docs/papers/attention-2017.md" in proc.stdout
    assert opened(state) == {"1.2 multi_head_attention": [2]}


# ---------------------------------------------------------------------------------------------
# `make progress` shows how many levels were opened, never a hint's text.


def progress_lines(root, statuses, learner=True):
    console = Console(record=True, width=200, color_system=None)
    exercises = find_exercises(root)
    report(exercises, statuses, learner, console, root)
    return console.export_text()


def row(text, name):
    return next(line for line in text.splitlines() if f" {name} " in line)


def test_progress_shows_the_levels_opened_and_solved_without_hints(course, state):
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"version": 1, "opened": {"9.1 square": [1, 2]}}))
    text = progress_lines(course, {"9.1 double": ("PASS", "1 test passes"), "9.1 square": ("FAIL", "wrong")})
    assert "solved without hints" in row(text, "double")
    assert "hints 2/3" in row(text, "square") and "solved" not in row(text, "square")
    assert "make hint EX=9.1:square" in text                 # where to get one, not the hint itself
    assert "Hint for" not in text and "docstring" not in text and "L2" not in text

    state.write_text(json.dumps({"version": 1, "opened": {"9.1 double": [1]}}))
    text = progress_lines(course, {"9.1 double": ("PASS", "1 test passes"), "9.1 square": ("TODO", "still a stub")})
    assert "hints 1/2" in row(text, "double") and "without" not in text   # a TODO has no badge either

    state.write_text(json.dumps({"version": 1, "opened": {"9.1 square": [3]}}))  # straight to the pseudo-code
    text = progress_lines(course, {"9.1 double": ("FAIL", "wrong"), "9.1 square": ("PASS", "1 test passes")})
    assert "hints 3/3" in row(text, "square") and "without" not in text   # nor does a FAIL


def test_progress_on_the_reference_shows_no_hint_column(course, state):
    text = progress_lines(course, {"9.1 double": ("PASS", "ok"), "9.1 square": ("PASS", "ok")}, learner=False)
    assert "hints" not in text and "without" not in text


def test_make_progress_end_to_end_says_solved_without_hints(course):
    learner_writes(course, "double", "return x + x")
    proc = subprocess.run([sys.executable, "-m", "tools.progress", "9.1", "--root", str(course)], cwd=course,
                          capture_output=True, text=True, timeout=120, env=env_for(course, COLUMNS="300"))
    assert proc.returncode == 1, proc.stdout + proc.stderr   # square is still a stub
    assert "PASS" in row(proc.stdout, "double") and "solved without hints" in row(proc.stdout, "double")
    assert "TODO" in row(proc.stdout, "square") and "Stuck? make hint EX=9.1:square" in proc.stdout
