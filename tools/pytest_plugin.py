"""The course's pytest plugin: reference vs learner code, commit selection, honesty.

Loaded by the root `conftest.py`. It adds:

  --impl reference|learner   which code `impl(...)` returns (default: env MNC_IMPL, else reference)
  --commit SEL               only tests of a phase '0', a commit '0.2' or an exercise '0.2:merge'
  --learner-tests            only the learner-mode selection (exercise tests minus reference_only)
  --stub-check               honesty run: every exercise test must FAIL when only its exercise is stubbed
  --challenge FILE           run against a debugging challenge (or alternative) loaded over its TARGET
  --mnc-timeout SECONDS      per-test time limit, so a hanging test cannot hang the check
  --mnc-report FILE          write one JSON line per test event (the progress runner and the
                             challenge checker read it)
  --mnc-stop-on-assert       stop at the first test that fails on an assertion

the `impl` fixture and the markers `commit(commit, exercise)`, `needs("X.Y name", ...)`,
`reference_only` and `slow`. See CONTRIBUTING.md for how tests use them.

Learner mode (`--impl learner`, `--stub-check`) runs only exercise tests, minus `reference_only`
ones, and `impl(module)` returns a hybrid: the tagged exercise's region (plus the `needs` ones)
from the learner's file, or stubbed under `--stub-check`, and every other region from the
reference (tools/impl.py). So a tag is honest exactly when `--stub-check` passes.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tools.exercises import find_exercises
from tools.impl import hybrid_module

_CHALLENGE_CACHE: dict[str, object] = {}
_EXERCISES = pytest.StashKey[list]()


def pytest_addoption(parser):
    group = parser.getgroup("mini-nanochat")
    group.addoption("--impl", choices=["reference", "learner"], default=os.environ.get("MNC_IMPL") or "reference",
                    help="test the reference modules or the learner's code in exercises/ (env MNC_IMPL)")
    group.addoption("--commit", default=None, metavar="SEL",
                    help="only tests of a phase ('0'), a commit ('0.2') or one exercise ('0.2:merge')")
    group.addoption("--learner-tests", action="store_true",
                    help="only the learner-mode selection (exercise tests minus reference_only), any --impl")
    group.addoption("--stub-check", action="store_true",
                    help="honesty run: every exercise test must fail when only its exercise is stubbed")
    group.addoption("--challenge", default=None, metavar="FILE",
                    help="load a debugging challenge or alternative file over its TARGET module for impl(TARGET)")
    group.addoption("--mnc-timeout", type=float, default=float(os.environ.get("MNC_TIMEOUT", 0)), metavar="S",
                    help="fail any test running longer than S seconds (0 = no limit)")
    group.addoption("--mnc-report", default=None, metavar="FILE", help="write test events as JSON lines to FILE")
    group.addoption("--mnc-stop-on-assert", action="store_true",
                    help="stop the session at the first test that fails on an assertion")


def pytest_configure(config):
    config.addinivalue_line("markers", "commit(commit, exercise=None): the course commit (and exercise) a test checks")
    config.addinivalue_line("markers", "needs(*exercises): other exercises ('3.2 newton_schulz') whose learner "
                                       "code this exercise test also runs")
    config.addinivalue_line("markers", "reference_only: a property of our reference (e.g. torch's exact op order); "
                                       "learner mode skips it, reference mode runs it")
    config.addinivalue_line("markers", "slow: a slow test; deselect with -m 'not slow'")
    if config.getoption("--stub-check"):
        config.option.impl = "learner"
    if config.getoption("--mnc-report"):
        config.pluginmanager.register(_Reporter(config.getoption("--mnc-report")), "mnc-reporter")


def exercises_of(config) -> list:
    """Every exercise of the course under test (the rootdir), parsed once per session."""
    if _EXERCISES not in config.stash:
        config.stash[_EXERCISES] = find_exercises(Path(config.rootpath))
    return config.stash[_EXERCISES]


def commit_marker(item) -> tuple[str | None, str | None]:
    """(commit, exercise) from @pytest.mark.commit, or (None, None)."""
    marker = item.get_closest_marker("commit")
    if marker is None:
        return None, None
    args = list(marker.args) + [None, None]
    return args[0], marker.kwargs.get("exercise", args[1])


def needs_of(item) -> list[str]:
    """The exercise keys ('3.2 newton_schulz') of every @pytest.mark.needs on the test."""
    return [key for marker in item.iter_markers("needs") for key in marker.args]


def learner_keys(item) -> set[str]:
    """The exercises whose learner code a test runs: its own, plus those it `needs`."""
    commit, exercise = commit_marker(item)
    return ({f"{commit} {exercise}"} if exercise else set()) | set(needs_of(item))


def _package_of(item, root: Path) -> str | None:
    """The top-level folder of the repo a test lives in ('phase0_tokenizer', 'tools', ...)."""
    try:
        return Path(str(item.path)).resolve().relative_to(root.resolve()).parts[0]
    except ValueError:
        return None


def _selected(commit: str | None, exercise: str | None, selector: str | None) -> bool:
    if not selector or selector == "all":
        return True
    if commit is None:
        return False
    want_commit, _, want_name = selector.partition(":")
    if "." not in want_commit:
        return commit.split(".")[0] == want_commit
    return commit == want_commit and (not want_name or exercise == want_name)


def learner_selection(config) -> bool:
    return config.getoption("--impl") == "learner" or config.getoption("--learner-tests")


def _covered_packages(config, root: Path) -> set[str]:
    """Phase packages whose whole tests/ folder this run collects: the untested-exercise check
    judges those (with path arguments too), and skips packages the arguments leave out."""
    covered = set()
    packages = [p.name for p in root.glob("phase*_*") if (p / "__init__.py").exists()]
    for arg in config.args:
        if "::" in arg:
            continue
        base = root if config.args_source == pytest.Config.ArgsSource.TESTPATHS else config.invocation_params.dir
        path = Path(arg) if Path(arg).is_absolute() else Path(base) / arg
        path = path.resolve()
        for pkg in packages:
            tests = (root / pkg / "tests").resolve()
            if tests == path or path in tests.parents:
                covered.add(pkg)
    return covered


@pytest.hookimpl(tryfirst=True)  # before -m/-k deselect: the untested check sees every collected test
def pytest_collection_modifyitems(session, config, items):
    root = Path(config.rootpath)
    exercises = exercises_of(config)
    known = {ex.key for ex in exercises}
    selector = config.getoption("--commit")
    learner = learner_selection(config)
    stub_check = config.getoption("--stub-check")
    keep, drop, tested = [], [], set()
    for item in items:
        commit, exercise = commit_marker(item)
        if commit is None and (_package_of(item, root) or "").startswith("phase"):
            raise pytest.UsageError(f"{item.nodeid} has no @pytest.mark.commit('X.Y'): "
                                    "every phase test names its commit")
        if exercise is not None and f"{commit} {exercise}" not in known:
            raise pytest.UsageError(f"{item.nodeid} is tagged with exercise '{commit} {exercise}', "
                                    "but no reference module has that '# >>> exercise' region")
        for key in needs_of(item):
            if key not in known:
                raise pytest.UsageError(f"{item.nodeid} has @pytest.mark.needs({key!r}), but no reference module "
                                        "has that exercise (write 'X.Y name', e.g. '3.2 newton_schulz')")
        if exercise is None and needs_of(item):
            raise pytest.UsageError(f"{item.nodeid} has @pytest.mark.needs but no exercise tag: "
                                    "needs adds exercises to an exercise test")
        reference_only = item.get_closest_marker("reference_only") is not None
        if exercise is not None and not reference_only:
            tested.add(f"{commit} {exercise}")
        # Learner mode checks exercises only: everything else tests reference code.
        if not _selected(commit, exercise, selector) or (learner and (exercise is None or reference_only)):
            drop.append(item)
            continue
        keep.append(item)
        if stub_check and exercise is not None:
            item.add_marker(pytest.mark.xfail(
                strict=True, reason=f"with only exercise {commit} {exercise} stubbed, this test must fail"))
    if stub_check and not selector:
        covered = _covered_packages(config, root)
        untested = sorted(ex.key for ex in exercises if ex.path.parent.name in covered and ex.key not in tested)
        if untested:
            raise pytest.UsageError("exercises with no exercise test (tag one with @pytest.mark.commit(C, NAME)): "
                                    + ", ".join(untested))
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _load_challenge(path: str) -> tuple[str, object]:
    """The challenge's (TARGET, variant copy of TARGET), loaded once per session."""
    if path not in _CHALLENGE_CACHE:
        from tools.challenges import load_challenge
        try:
            _CHALLENGE_CACHE[path] = load_challenge(Path(path))
        except ValueError as e:
            raise pytest.UsageError(str(e)) from None
    return _CHALLENGE_CACHE[path]


@pytest.fixture
def impl(request):
    """impl("phase0_tokenizer.bpe") -> the module under test: the reference, a challenge copy, or in
    learner mode the hybrid of this test's exercise (learner or stubbed) over the reference."""
    config = request.config
    item = request.node

    def load(module: str):
        challenge = config.getoption("--challenge")
        if challenge:
            target, copy = _load_challenge(challenge)
            if target == module:
                return copy
        if config.getoption("--impl") != "learner":
            return hybrid_module(module, set(), exercises=exercises_of(config)).module
        mode = "stub" if config.getoption("--stub-check") else "learner"
        hybrid = hybrid_module(module, learner_keys(item), mode, exercises=exercises_of(config))
        if hybrid.note:
            item.user_properties.append(("mnc_note", hybrid.note))
        return hybrid.module

    return load


class TestTimeout(BaseException):
    """Raised inside a test that runs past --mnc-timeout. A BaseException, so learner code's
    `except Exception:` cannot swallow it."""


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    limit = item.config.getoption("--mnc-timeout")
    armed = limit > 0 and hasattr(signal, "setitimer") and item.get_closest_marker("slow") is None
    if armed:
        def on_alarm(signum, frame):
            raise TestTimeout(f"test took longer than {limit:g} s: is there an infinite loop in your code? "
                              "(a `while` whose index never advances is the usual suspect)")
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        yield
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


ASSERTION_TYPES = ("AssertionError", "Failed")  # `assert`, torch.testing, pytest.raises/fail


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    excinfo = call.excinfo
    if excinfo is not None:
        report.mnc_exc = [t.__name__ for t in excinfo.type.__mro__]
        report.mnc_message = describe_exception(excinfo.value)
    if item.config.getoption("--mnc-stop-on-assert") and report.failed and excinfo is not None \
            and any(t.__name__ in ASSERTION_TYPES for t in excinfo.type.__mro__):
        item.session.shouldstop = "a test failed on an assertion"


def describe_exception(exc: BaseException) -> str:
    """One readable line (or two) for a learner: Python's message, with the line for syntax errors."""
    if isinstance(exc, SyntaxError):
        where = f"{exc.filename}, line {exc.lineno}" if exc.lineno else str(exc.filename)
        text = f": {exc.text.strip()}" if exc.text else ""
        return f"{type(exc).__name__}: {exc.msg} ({where}){text}"
    if isinstance(exc, SystemExit):
        return (f"SystemExit({exc.code!r}): your code called sys.exit()/exit() or raised SystemExit; "
                "a function must return or raise an ordinary exception")
    if isinstance(exc, MemoryError) or "can't allocate memory" in str(exc):
        return f"{type(exc).__name__}: out of memory: a list or tensor that keeps growing? ({str(exc)[:120]})"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Reporter:
    """Writes one JSON line per event: start, report (outcome, exception types, message), interrupt.
    Flushed line by line, so a process killed mid-test still leaves what it did."""

    def __init__(self, path: str):
        self.file = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed at session end)

    def _write(self, **event):
        self.file.write(json.dumps(event) + "\n")
        self.file.flush()

    def pytest_runtest_logstart(self, nodeid, location):
        self._write(event="start", test=nodeid)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items):
        for item in items:
            commit, exercise = commit_marker(item)
            self._write(event="collected", test=item.nodeid, exercise=f"{commit} {exercise}" if exercise else None,
                        needs=needs_of(item))

    def pytest_runtest_logreport(self, report):
        if report.when != "call" and report.passed:
            return
        exc = getattr(report, "mnc_exc", [])
        special = getattr(report, "mnc_message", "")  # syntax errors, sys.exit, memory: say what happened
        special = special if special.startswith(("SyntaxError", "IndentationError", "TabError", "SystemExit",
                                                 "MemoryError")) or "out of memory" in special else ""
        message = special or first_line(report)
        self._write(event="report", test=report.nodeid, when=report.when, outcome=report.outcome, exc=exc,
                    message=message, note=dict(report.user_properties).get("mnc_note", ""))

    def pytest_keyboard_interrupt(self, excinfo):
        self._write(event="interrupt", message=describe_exception(excinfo.value))

    def pytest_sessionfinish(self, session, exitstatus):
        self._write(event="finish", exit=int(exitstatus))
        self.file.close()


def first_line(report) -> str:
    """The first line of pytest's crash message ('assert [256, 2] == [256]'), or two lines when the
    first alone says nothing ('assert False' + the '+ where' line saying what was compared)."""
    crash = getattr(getattr(report, "longrepr", None), "reprcrash", None)
    text = crash.message if crash is not None else str(report.longrepr or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return report.outcome
    if lines[0].endswith(("assert False", "AssertionError")) and len(lines) > 1:
        return f"{lines[0]} ({lines[1]})"[:240]
    return lines[0][:240]
