"""Docs are part of the product: ADR index complete, paper code maps point at real code,
reading lists exist, every phase has its README, and every command a doc shows works: the cheap
ones run as written, the others' arguments are checked against their CLI's own parser or --help."""

import contextlib
import dataclasses
import functools
import importlib
import importlib.util
import io
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

from tools.curriculum import COMMITS
from tools.exercises import REPO_ROOT, find_exercises, phase_packages

SCRIPT_RE = r"python3? ((?:tools|bench|examples|checkpoints_exercises|phase\d\w*)/[\w/]+\.py)"
CODE_REF_RE = re.compile(r"`((?:phase\d_\w+|tools)(?:\.\w+)+)::([A-Za-z_][\w.]*)`")


def all_adrs() -> list[Path]:
    return sorted(REPO_ROOT.glob("phase*/adrs/*.md")) + sorted(REPO_ROOT.glob("docs/adrs/[0-9]*.md"))


def test_adr_index_lists_every_adr_and_every_link_resolves():
    index_path = REPO_ROOT / "docs/adrs/README.md"
    index = index_path.read_text(encoding="utf-8")
    for adr in all_adrs():
        assert adr.relative_to(REPO_ROOT).as_posix().split("/", 1)[-1] in index or adr.name in index, \
            f"{adr.relative_to(REPO_ROOT)} is missing from docs/adrs/README.md"
    for link in re.findall(r"\]\(([^)#]+\.md)\)", index):
        assert (index_path.parent / link).resolve().exists(), f"docs/adrs/README.md links to missing {link}"


def test_adr_numbers_are_unique_across_the_course():
    numbers = [adr.name[:3] for adr in all_adrs()]
    assert len(numbers) == len(set(numbers)), f"duplicate ADR numbers: {sorted(numbers)}"


def paper_code_refs():
    for paper in sorted(REPO_ROOT.glob("docs/papers/*.md")):
        for module, attr in CODE_REF_RE.findall(paper.read_text(encoding="utf-8")):
            yield pytest.param(module, attr, id=f"{paper.stem}:{module}::{attr}")


@pytest.mark.parametrize("module, attr", list(paper_code_refs()))
def test_every_code_reference_in_the_paper_summaries_exists(module, attr):
    obj = importlib.import_module(module)
    for part in attr.split("."):
        assert hasattr(obj, part), f"{module}::{attr} does not exist (fix the paper's code map)"
        obj = getattr(obj, part)


def test_reading_lists_of_written_commits_exist():
    written = {ex.commit for ex in find_exercises()}
    for commit in written:
        for path in COMMITS[commit].read:
            assert (REPO_ROOT / path).exists(), f"tools/curriculum.py: commit {commit} reads missing {path}"


def test_every_commit_with_exercises_is_in_the_curriculum():
    assert {ex.commit for ex in find_exercises()} <= set(COMMITS)


GUIDE = REPO_ROOT / "docs/learning-guide.md"
EXERCISE_REF_RE = re.compile(r"`(\d+\.\d+):(\w+)`")  # `1.2:multi_head_attention`, as `make hint EX=` takes it
CHALLENGE_REF_RE = re.compile(r"`((?:debug|alt)_\w+)\.py`")
DOCTOR_REF_RE = re.compile(r"doctor cases? ([\d–, and]+)")


def challenge_file(stem: str) -> Path | None:
    found = sorted(REPO_ROOT.glob(f"checkpoints_exercises/phase*/{stem}.py"))
    return found[0] if found else None


def test_every_exercise_challenge_and_doctor_case_the_learning_guide_names_exists():
    from tools.exercises import select
    text = GUIDE.read_text(encoding="utf-8")
    exercises = find_exercises()
    refs = EXERCISE_REF_RE.findall(text)
    assert refs, "the learning guide names no exercise as `commit:name`: has the pattern changed?"
    for commit, name in refs:
        assert select(exercises, f"{commit}:{name}"), f"the learning guide names `{commit}:{name}`: no such exercise"
    for stem in CHALLENGE_REF_RE.findall(text):
        assert challenge_file(stem), f"the learning guide names `{stem}.py`: not in checkpoints_exercises/phase*/"
    cases = {int(p.name[4:].split("_")[0]) for p in REPO_ROOT.glob("checkpoints_exercises/doctor/case[0-9]*_*.py")}
    for numbers in DOCTOR_REF_RE.findall(text):
        for lo, _, hi in re.findall(r"(\d+)(–(\d+))?", numbers):
            for n in range(int(lo), int(hi or lo) + 1):
                assert n in cases, f"the learning guide names doctor case {n}: no doctor/case{n}_*.py"


def test_each_self_assessment_question_cites_the_exercise_its_challenges_break():
    """A debugging challenge listed under a question must target one of the exercises listed with it
    (the COMMIT and EXERCISE of its header), so the map cannot drift from what the challenges do."""
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## Self-assessment"):]
    section = section[:section.index("\n## ", 1)]
    questions = re.split(r"\n  - ", section)[1:]
    assert len(questions) >= 5, "the self-assessment lists its questions as '  - ' bullets under each phase"
    for q in questions:
        cited = set(EXERCISE_REF_RE.findall(q))
        for stem in CHALLENGE_REF_RE.findall(q):
            path = challenge_file(stem)
            assert path, f"the learning guide names `{stem}.py`: not in checkpoints_exercises/phase*/"
            source = path.read_text(encoding="utf-8")
            commit = re.search(r'^COMMIT = "([\d.]+)"', source, re.M)
            exercise = re.search(r'^EXERCISE = "(\w+)"', source, re.M)
            assert commit and exercise, f"{stem}.py has no COMMIT/EXERCISE header"
            assert (commit[1], exercise[1]) in cited, (
                f"self-assessment question {q.split(chr(10))[0]!r} cites {stem}.py, which breaks "
                f"{commit[1]}:{exercise[1]}, but not that exercise")


TIME_CELL_RE = re.compile(r"^\| (\d+\.\d+)\b.*\| (\d+) min / (?:([\d.]+)–([\d.]+) h|—) / ([\d.]+) h[^|]*\|$", re.M)


def commit_key(commit: str) -> tuple[int, ...]:
    return tuple(int(part) for part in commit.split("."))


def test_the_schedule_adds_up_the_per_commit_estimates_of_the_phase_readmes():
    """Each row's hours = the sum of its commits' time cells (read + write + exercises) in the phase
    READMEs, plus 1 h for the phase checkpoint when the row ends a phase and 0.5-1 h per doctor case,
    as the guide's text says; the guide rounds to the half hour, hence the 0.25 h tolerance."""
    estimates = {}  # commit -> (low, high) hours
    for readme in REPO_ROOT.glob("phase*/README.md"):
        for commit, read, lo, hi, ex in TIME_CELL_RE.findall(readme.read_text(encoding="utf-8")):
            fixed = int(read) / 60 + float(ex)
            estimates[commit] = (fixed + float(lo or 0), fixed + float(hi or 0))
    missing = set(COMMITS) - set(estimates)
    assert not missing, f"commits without a time cell in their phase README's commit table: {sorted(missing)}"
    last_of_phase = {max((c for c in COMMITS if c.split(".")[0] == phase), key=commit_key)
                     for phase in {c.split(".")[0] for c in COMMITS}}
    text = GUIDE.read_text(encoding="utf-8")
    section = text[text.index("## A suggested schedule"):]
    section = section[:section.index("\n## ", 1)]
    rows = re.findall(r"^\| [\d–]+ \| ([^|]+) \| ([\d.]+)–([\d.]+) \|", section, re.M)
    assert rows, "the schedule table has no rows | weeks | commits | hours | goal |"
    planned = []
    for commits, lo, hi in rows:
        first, last = re.match(r"(\d+\.\d+)(?:–(\d+\.\d+))?", commits).groups()
        these = [c for c in COMMITS if commit_key(first) <= commit_key(c) <= commit_key(last or first)]
        planned += these
        doctor = re.findall(r"(\d+)(?:–(\d+))?", commits.partition("doctor")[2])
        cases = sum(int(end or start) - int(start) + 1 for start, end in doctor)
        checkpoint = 1 if last_of_phase & set(these) else 0
        want_lo = sum(estimates[c][0] for c in these) + checkpoint + 0.5 * cases
        want_hi = sum(estimates[c][1] for c in these) + checkpoint + 1.0 * cases
        assert abs(float(lo) - want_lo) <= 0.25 and abs(float(hi) - want_hi) <= 0.25, (
            f"schedule row {commits.strip()}: {lo}–{hi} h; the READMEs' estimates add up to "
            f"{want_lo:.2f}–{want_hi:.2f} h")
    assert planned == sorted(COMMITS, key=commit_key), "the schedule skips, repeats or reorders a commit"


def test_every_phase_has_a_readme_and_every_doc_link_resolves():
    for pkg in phase_packages():
        assert (pkg / "README.md").exists(), f"{pkg.name}/README.md is missing"
    for doc in [REPO_ROOT / "README.md", *REPO_ROOT.glob("phase*/README.md"), *REPO_ROOT.glob("docs/**/*.md")]:
        for link in re.findall(r"\]\(([^)#:]+)\)", doc.read_text(encoding="utf-8")):
            assert (doc.parent / link).resolve().exists(), f"{doc.relative_to(REPO_ROOT)} links to missing {link}"


def test_every_make_target_a_doc_shows_exists():
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-zA-Z0-9_.%-]+):", makefile, re.M))
    docs = [REPO_ROOT / "README.md", *REPO_ROOT.glob("phase*/README.md"), *REPO_ROOT.glob("docs/**/*.md"),
            *REPO_ROOT.glob("checkpoints_exercises/**/*.md")]
    for doc in docs:
        for target in re.findall(r"`make ([a-z][\w.-]*)", doc.read_text(encoding="utf-8")):
            ok = target in targets or any(t.endswith("%") and target.startswith(t[:-1]) for t in targets)
            assert ok, f"{doc.relative_to(REPO_ROOT)} shows `make {target}`, which the Makefile lacks"


def test_every_python_command_a_doc_shows_names_a_module_or_script_that_exists():
    import importlib.util
    docs = [REPO_ROOT / "README.md", *REPO_ROOT.glob("phase*/README.md"), *REPO_ROOT.glob("docs/**/*.md"),
            *REPO_ROOT.glob("checkpoints_exercises/**/*.md"), *REPO_ROOT.glob("bench/*.md")]
    for doc in docs:
        text = doc.read_text(encoding="utf-8")
        for module in re.findall(r"python3? -m ([\w.]+)", text):
            assert importlib.util.find_spec(module) is not None, \
                f"{doc.relative_to(REPO_ROOT)} shows `python -m {module}`, which does not exist"
        for script in re.findall(SCRIPT_RE, text):
            assert (REPO_ROOT / script).exists(), \
                f"{doc.relative_to(REPO_ROOT)} shows `python {script}`, which is missing"


# ---- Every command a doc shows: the cheap ones run as written, the others' flags checked against their CLI

DOC_GLOBS = ("README.md", "CONTRIBUTING.md", "phase*/README.md", "phase*/adrs/*.md", "docs/**/*.md",
             "checkpoints_exercises/**/*.md", "bench/*.md")
SHELL_OPERATORS = {"&&", "||", ";", "|"}


@dataclass(frozen=True)
class DocCommand:
    doc: str                 # the doc's path in the repo
    text: str                # the command as the doc writes it (continuation lines joined, no comment)
    argv: tuple[str, ...]    # its words, without a leading `time` and VAR=value prefixes
    env: tuple[tuple[str, str], ...]

    def __str__(self) -> str:
        return f"{self.doc}: `{self.text}`"


def _code_lines(text: str):
    """Each line of every fenced block (a `\\` continuation or an open quote joins lines), and each inline code span."""
    fence = re.compile(r"^\s*```[^\n]*\n(.*?)^\s*```", re.S | re.M)
    for block in fence.findall(text):
        pending = ""
        for line in re.sub(r"\\\n", " ", block).splitlines():
            pending = f"{pending}\n{line}" if pending else line
            try:
                shlex.split(pending, comments=True)
            except ValueError:  # an open quote: the command continues on the next line
                continue
            yield pending.strip()
            pending = ""
    yield from re.findall(r"`([^`\n]+)`", fence.sub("", text))


@functools.cache
def doc_commands() -> list[DocCommand]:
    """Every python / torchrun / make command in the docs, one per distinct (doc, command)."""
    found = {}
    for pattern in DOC_GLOBS:
        for path in sorted(REPO_ROOT.glob(pattern)):
            doc = path.relative_to(REPO_ROOT).as_posix()
            for line in _code_lines(path.read_text(encoding="utf-8")):
                try:
                    words = shlex.split(line, comments=True)
                except ValueError:
                    continue  # a fragment such as `python -c "` in a sentence
                parts, part = [], []
                for word in [*words, ";"]:
                    if word in SHELL_OPERATORS:
                        parts.append(part)
                        part = []
                    else:
                        part.append(word)
                for part in parts:
                    env = []
                    while part and (part[0] == "time" or re.fullmatch(r"[A-Z_][A-Z0-9_]*=\S*", part[0])):
                        if part[0] != "time":
                            env.append(tuple(part[0].split("=", 1)))
                        part = part[1:]  # `time` and VAR=value prefixes: kept in env, not in argv
                    if part and part[0] in ("python", "python3", "torchrun", "make"):
                        text = shlex.join([*(f"{k}={v}" for k, v in env), *part])
                        found.setdefault((doc, text), DocCommand(doc, text, tuple(part), tuple(env)))
    return list(found.values())


def cli_of(cmd: DocCommand) -> tuple[str, str, list[str]] | None:
    """('module' | 'script' | 'code', what, its arguments) for a python or torchrun command, else None."""
    words = list(cmd.argv)
    if words[0] == "torchrun":
        words = words[1:]
        while words and (words[0].startswith("--") or words[0] == "..."):  # torchrun's own options
            words = words[1:]
        words = ["python", *words]
    if words[0] not in ("python", "python3") or len(words) < 2:
        return None
    if words[1] in ("-m", "-c") and len(words) > 2:
        return ("module" if words[1] == "-m" else "code"), words[2], words[3:]
    return ("script", words[1], words[2:]) if not words[1].startswith("-") else None


def _is_placeholder(word: str) -> bool:
    """`<name>`, `1,N`, `X.Y`: a template for the reader to fill in, not a value to check."""
    return bool(re.search(r"<\w+>|\bN\b|X\.Y", word))


class _Parsed(Exception):
    """Raised by the patched argparse once the command line has been parsed: the CLI's body never runs."""

    def __init__(self, extras: list[str]):
        self.extras = extras


class _Rejected(Exception):
    """Raised by the patched ArgumentParser.error: argparse refused the command line."""


def _run_in_process(kind: str, what: str, args: list[str], env=()) -> tuple[int, str]:
    """Run a `python -m` / `python script.py` / `python -c` command in this process (torch is already
    imported, so it costs milliseconds, not a fresh interpreter): (exit status, stdout + stderr)."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env:
            mp.setenv(name, value)
        mp.setattr(sys, "argv", [what, *args])
        mp.setattr(sys, "path", list(sys.path))  # a script may insert the repo root
        mp.chdir(REPO_ROOT)
        rc = 0
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # runpy: "found in sys.modules" (imported by a test)
            try:
                if kind == "module":
                    runpy.run_module(what, run_name="__main__")
                elif kind == "script":
                    runpy.run_path(str(REPO_ROOT / what), run_name="__main__")
                else:
                    exec(compile(what, "<doc command>", "exec"), {"__name__": "__main__"})
            except SystemExit as e:
                rc = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    return rc, out.getvalue()


def _source_of(kind: str, what: str) -> str:
    if kind == "script":
        return (REPO_ROOT / what).read_text(encoding="utf-8")
    return Path(importlib.util.find_spec(what).origin).read_text(encoding="utf-8")


@functools.cache
def _help_of(kind: str, what: str) -> str:
    return _run_in_process(kind, what, ["--help"])[1]


def check_against_cli(cmd: DocCommand, pytestconfig) -> str | None:
    """Why `cmd`'s arguments are not what its CLI accepts (None when they are).

    argparse CLIs: the command line is parsed by the CLI's own parser (argparse patched to stop right
    after parsing), so unknown flags, missing required arguments and bad values or choices all show.
    Other CLIs: every --flag must be listed by the CLI's --help (or, for a script that reads sys.argv
    itself, appear in its source), and a `--key=value` CLI must not be given `--key value`.
    """
    kind, what, args = cli_of(cmd)
    if kind == "code" or not args or any(_is_placeholder(a) for a in args):
        return None  # no arguments: a sentence naming the module (`python -m phase2_training.plot`)
    if kind == "module" and what == "pytest":  # this very pytest has the course plugin's options
        for flag in (a.split("=", 1)[0] for a in args if a.startswith("--")):
            try:
                pytestconfig.getoption(flag[2:].replace("-", "_"))
            except ValueError:
                return f"pytest has no option {flag}"
        return None
    if kind == "module" and not str(importlib.util.find_spec(what).origin).startswith(str(REPO_ROOT)):
        return None  # python -m cProfile ...: not ours to check
    source = _source_of(kind, what)
    if "argparse" in source:
        import argparse
        original = argparse.ArgumentParser.parse_known_args

        def parse_args(self, args=None, namespace=None):
            ns, extras = original(self, args, namespace)
            if extras:
                self.error(f"unrecognized arguments: {' '.join(extras)}")
            raise _Parsed([])

        def parse_known_args(self, args=None, namespace=None):
            raise _Parsed(original(self, args, namespace)[1])

        def error(self, message):
            raise _Rejected(message)

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(argparse.ArgumentParser, "parse_args", parse_args)
            mp.setattr(argparse.ArgumentParser, "parse_known_args", parse_known_args)
            mp.setattr(argparse.ArgumentParser, "error", error)
            try:
                rc, out = _run_in_process(kind, what, args, cmd.env)
            except _Rejected as e:
                return f"the CLI rejects it: {e}"
            except _Parsed as parsed:
                extras = parsed.extras  # parse_known_args: the rest are `--key=value` config overrides
            else:
                return None if rc == 0 else f"exited {rc} before parsing its arguments:\n{out[-2000:]}"
        if extras:
            from phase2_training.config import TrainConfig
            keys = {f.name for f in dataclasses.fields(TrainConfig)}
            bad = [a for a in extras if a.split("=", 1)[0][2:].replace("-", "_") not in keys]
            return f"unknown arguments {bad} (neither the CLI's flags nor TrainConfig keys)" if bad else None
        return None
    listed = (_help_of(kind, what) if "--help" in source else "") + source
    for i, arg in enumerate(args):
        if not arg.startswith("--") or arg == "--help":
            continue
        flag = arg.split("=", 1)[0]
        if not re.search(rf"(?m)^\s+{re.escape(flag)}(?=[\s=,]|$)|[\"']{re.escape(flag)}[\"']", listed):
            return f"{flag} is not an option of {what} (see its --help)"
        takes_value = re.search(rf"(?m)^\s+{re.escape(flag)}=(?!False|True)", listed)
        if "=" not in arg and takes_value and i + 1 < len(args) and not args[i + 1].startswith("-"):
            return f"{flag} takes its value after '=': {flag}={args[i + 1]}"
    return None


def commands_by_cli():
    groups = {}
    for cmd in doc_commands():
        cli = cli_of(cmd)
        if cli and cli[0] != "code":
            groups.setdefault(cli[1], []).append(cmd)
    return [pytest.param(cmds, id=name) for name, cmds in sorted(groups.items())]


def test_doc_commands_are_found():
    """The parser above still sees the docs' commands (guards the tests below against matching nothing)."""
    texts = {cmd.text for cmd in doc_commands()}
    assert any(t.startswith("make checkpoint0") for t in texts)
    assert any(t.startswith("torchrun ") for t in texts)
    assert any(t.startswith("python -m checkpoints_exercises.phase3.checkpoint --impl reference") for t in texts)
    assert len(commands_by_cli()) >= 15


@pytest.mark.parametrize("cmds", commands_by_cli())
def test_every_python_command_a_doc_shows_passes_arguments_its_cli_accepts(cmds, pytestconfig):
    problems = []
    for cmd in cmds:
        kind, what, _ = cli_of(cmd)
        if kind == "module" and importlib.util.find_spec(what) is None:
            problems.append(f"{cmd}: no module {what}")
        elif kind == "script" and not (REPO_ROOT / what).is_file():
            problems.append(f"{cmd}: no file {what}")
        elif why := check_against_cli(cmd, pytestconfig):
            problems.append(f"{cmd}: {why}")
    assert not problems, "\n".join(problems)


def test_every_make_variable_a_doc_sets_exists_with_a_valid_value():
    from tools.exercises import select
    makefile = (REPO_ROOT / "Makefile").read_text(encoding="utf-8")
    variables = set(re.findall(r"^(\w+)\s*[?:]?=", makefile, re.M))
    exercises = find_exercises()
    for cmd in doc_commands():
        if cmd.argv[0] != "make":
            continue
        for name, value in [w.split("=", 1) for w in cmd.argv[1:] if "=" in w] + list(cmd.env):
            assert name in variables, f"{cmd}: the Makefile has no variable {name}"
            if name == "IMPL":
                assert value in ("reference", "learner"), f"{cmd}: IMPL is reference or learner"
            if name == "EX":
                assert select(exercises, value), f"{cmd}: EX={value} names no exercise"


# Doc commands cheap enough (a few seconds) to run exactly as written, each with text its output must show.
# Each pattern must still match a command in the docs: remove it when its command leaves them.
CHEAP = {
    r"python -m [\w.]+ --help": "--",
    r"python -m checkpoints_exercises\.phase0\.checkpoint --impl reference":
        "running the reference implementation\nCheckpoint 0",
    r"python tools/comparator/compare\.py --ours phase1_model\S* --theirs phase1_model\S*( --markdown)?": "files",
    r"python -c 'from phase1_model import .*parameter_table.*'": "non_embedding",
    r"make help": "make checkpoint",
    r"make hint EX=0\.1": "0.1",  # the other EX= values are checked by test_every_make_variable_a_doc_sets_exists
}


def cheap_commands():
    cmds = {}
    for cmd in doc_commands():
        for pattern, expected in CHEAP.items():
            if re.fullmatch(pattern, cmd.text):
                cmds.setdefault(cmd.text, (pattern, expected, cmd))
    return cmds


def test_each_cheap_pattern_still_matches_a_doc_command():
    matched = {pattern for pattern, _, _ in cheap_commands().values()}
    assert matched == set(CHEAP), f"no doc shows these any more: {sorted(set(CHEAP) - matched)}"


@pytest.mark.parametrize("text", sorted(cheap_commands()))
def test_cheap_doc_command_runs_as_written(text):
    _, expected, cmd = cheap_commands()[text]
    if cmd.argv[0] == "make":
        if shutil.which("make") is None:
            pytest.skip("make is not installed")
        env = {**os.environ, **dict(cmd.env), "PYTHON": sys.executable,  # the Makefile's `PYTHON ?= python3`
               "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
        proc = subprocess.run(list(cmd.argv), cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
        rc, out = proc.returncode, proc.stdout + proc.stderr
    else:
        kind, what, args = cli_of(cmd)
        rc, out = _run_in_process(kind, what, args, cmd.env)
    assert rc == 0, f"{cmd} exited {rc}:\n{out[-3000:]}"
    assert expected in out, f"{cmd}: its output lacks {expected!r}:\n{out[-3000:]}"
