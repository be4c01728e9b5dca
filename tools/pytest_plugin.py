"""The course's pytest plugin: reference vs learner code, commit selection, honesty.

Loaded by the root `conftest.py`. It adds:

  --impl reference|learner   which code `impl(...)` returns (default: env MNC_IMPL, else reference)
  --commit SEL               only tests of a phase '0', a commit '0.2' or an exercise '0.2:merge'
  --stub-check               honesty run: every exercise test must FAIL on the untouched stubs
  --challenge FILE           run against a debugging-challenge variant of a reference module
  --mnc-timeout SECONDS      per-test time limit, so a hanging learner stub cannot hang the check

and the `impl` fixture plus the `commit(commit, exercise)` and `slow` markers.
See CONTRIBUTING.md for how tests use them.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tools.exercises import REPO_ROOT, find_exercises
from tools.impl import load_impl

_CHALLENGE_CACHE: dict[str, object] = {}


def pytest_addoption(parser):
    group = parser.getgroup("mini-nanochat")
    group.addoption("--impl", choices=["reference", "learner"], default=os.environ.get("MNC_IMPL") or "reference",
                    help="test the reference modules or the learner's stubs in exercises/ (env MNC_IMPL)")
    group.addoption("--commit", default=None, metavar="SEL",
                    help="only tests of a phase ('0'), a commit ('0.2') or one exercise ('0.2:merge')")
    group.addoption("--stub-check", action="store_true",
                    help="honesty run: every exercise test must fail on the untouched stubs (strict xfail)")
    group.addoption("--challenge", default=None, metavar="FILE",
                    help="load a debugging-challenge file over its TARGET module for impl(TARGET)")
    group.addoption("--mnc-timeout", type=float, default=float(os.environ.get("MNC_TIMEOUT", 0)), metavar="S",
                    help="fail any test running longer than S seconds (0 = no limit)")


def pytest_configure(config):
    config.addinivalue_line("markers", "commit(commit, exercise=None): the course commit (and exercise) a test checks")
    config.addinivalue_line("markers", "slow: a slow test; deselect with -m 'not slow'")
    if config.getoption("--stub-check"):
        config.option.impl = "learner"


def commit_marker(item) -> tuple[str | None, str | None]:
    """(commit, exercise) from @pytest.mark.commit, or (None, None)."""
    marker = item.get_closest_marker("commit")
    if marker is None:
        return None, None
    args = list(marker.args) + [None, None]
    return args[0], marker.kwargs.get("exercise", args[1])


def _package_of(item) -> str | None:
    """The top-level folder of the repo a test lives in ('phase0_tokenizer', 'tools', ...)."""
    try:
        return Path(str(item.path)).resolve().relative_to(REPO_ROOT).parts[0]
    except ValueError:
        return None


def _in_phase_package(item) -> bool:
    return (_package_of(item) or "").startswith("phase")


def _selected(commit: str | None, exercise: str | None, selector: str | None) -> bool:
    if not selector or selector == "all":
        return True
    if commit is None:
        return False
    want_commit, _, want_name = selector.partition(":")
    if "." not in want_commit:
        return commit.split(".")[0] == want_commit
    return commit == want_commit and (not want_name or exercise == want_name)


def pytest_collection_modifyitems(session, config, items):
    known = {ex.key for ex in find_exercises()}
    selector = config.getoption("--commit")
    learner = config.getoption("--impl") == "learner"
    keep, drop, tested = [], [], set()
    for item in items:
        commit, exercise = commit_marker(item)
        if commit is None and _in_phase_package(item):
            raise pytest.UsageError(f"{item.nodeid} has no @pytest.mark.commit('X.Y'): "
                                    "every phase test names its commit")
        if exercise is not None and f"{commit} {exercise}" not in known:
            raise pytest.UsageError(f"{item.nodeid} is tagged with exercise '{commit} {exercise}', "
                                    "but no reference module has that '# >>> exercise' region")
        # Learner mode checks exercises only: everything else tests reference code.
        if not _selected(commit, exercise, selector) or (learner and exercise is None):
            drop.append(item)
            continue
        keep.append(item)
        if exercise is not None:
            tested.add(f"{commit} {exercise}")
        if config.getoption("--stub-check") and exercise is not None:
            item.add_marker(pytest.mark.xfail(strict=True, reason=f"stub of exercise {commit} {exercise} must fail"))
    whole_suite = config.args_source == pytest.Config.ArgsSource.TESTPATHS
    if config.getoption("--stub-check") and not selector and whole_suite:
        untested = sorted(known - tested)
        if untested:
            raise pytest.UsageError("exercises with no exercise test (tag one with @pytest.mark.commit(C, NAME)): "
                                    + ", ".join(untested))
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def _load_challenge(path: str) -> tuple[str, object]:
    """The challenge's (TARGET, buggy copy of TARGET), loaded once per session."""
    if path not in _CHALLENGE_CACHE:
        from tools.challenges import load_challenge
        try:
            _CHALLENGE_CACHE[path] = load_challenge(Path(path))
        except ValueError as e:
            raise pytest.UsageError(str(e)) from None
    return _CHALLENGE_CACHE[path]


@pytest.fixture
def impl(request):
    """impl("phase0_tokenizer.bpe") -> the module under test (reference, learner stub, or challenge copy)."""
    config = request.config

    def load(module: str):
        challenge = config.getoption("--challenge")
        if challenge:
            target, copy = _load_challenge(challenge)
            if target == module:
                return copy
        return load_impl(module, config.getoption("--impl"))

    return load


class TestTimeout(Exception):
    """Raised inside a test that runs past --mnc-timeout."""


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
