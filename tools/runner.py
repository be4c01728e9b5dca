"""Run each exercise's tests in a child process that learner code cannot take down with it.

`make phaseX.Y` must tell the truth even when the learner's code misbehaves: an
infinite loop inside `try/except Exception`, a loop at the top level of the file,
`os._exit(0)`, `sys.exit()`, `raise KeyboardInterrupt`, a syntax error, a list
that grows until the machine swaps. So each exercise runs in its own child:

- the child gets a hard wall-clock limit (tools/curriculum.py: `time_limit`);
  past it the parent kills the child's whole process group, which no `except`
  in the child can catch;
- the child's address space is capped (`RLIMIT_AS`, `MNC_MEMORY_GB`, default 6 GB),
  so a runaway allocation ends in a MemoryError instead of swapping;
- the child reports every test event as a JSON line as it happens (the
  `--mnc-report` option of tools/pytest_plugin.py) and a last `done` line, so
  the parent can tell "finished" from "exited early" from "hung in test X".

On Linux the parent collects the tests once (importing torch and the test
modules) and forks the children from that warm state, which saves seconds of
start-up per exercise; elsewhere each child is a fresh `python -m tools.runner`.
Two children run at a time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tools.curriculum import time_limit
from tools.exercises import REPO_ROOT, Exercise

GIB = 1 << 30


def memory_cap() -> int:
    """Bytes of address space a child may map (env MNC_MEMORY_GB; 0 turns the cap off)."""
    # torch's CPU build maps ~0.6 GB on import; every exercise's tests on the reference peaked at
    # 0.61-0.83 GB of address space (measured with `python -m tools.progress all --impl reference
    # --times`). 6 GB leaves room for a clumsy but correct solution (a float64 copy, a Python list
    # of tensors) and still stops a runaway list long before a laptop starts swapping.
    return int(float(os.environ.get("MNC_MEMORY_GB", "6")) * GIB)


@dataclass
class Result:
    """What one exercise's child did."""
    events: list[dict] = field(default_factory=list)
    crash: str = ""          # why the child did not finish normally ("" when it did)
    seconds: float = 0.0
    log: str = ""            # the child's stdout/stderr (learner prints, pytest's own output)

    def reports(self) -> list[dict]:
        return [e for e in self.events if e["event"] == "report"]

    def tests(self) -> list[str]:
        return [e["test"] for e in self.events if e["event"] == "collected"]

    def last_started(self) -> str | None:
        starts = [e["test"] for e in self.events if e["event"] == "start"]
        return starts[-1] if starts else None


@dataclass
class _Job:
    ex: Exercise
    files: list[str]
    limit: float
    report: Path
    log: Path
    pid: int = 0
    proc: subprocess.Popen | None = None
    started: float = 0.0


def _pytest_args(root: Path, impl: str, selector: str, report: Path, files: list[str], collect_only=False):
    args = ["-q", "--tb=short", "-p", "no:cacheprovider", "-p", "tools.pytest_plugin", "--rootdir", str(root),
            f"--impl={impl}", "--learner-tests", f"--commit={selector}", f"--mnc-report={report}"]
    if (root / "pyproject.toml").exists():
        args += ["-c", str(root / "pyproject.toml")]
    if collect_only:
        args.append("--collect-only")
    return args + files


def collect(exercises: list[Exercise], impl: str, root: Path, workdir: Path) -> dict[str, list[str]]:
    """Collect the learner-mode tests once, in this process: {exercise key: [test node ids]}.
    Importing the test modules here is what makes the forked children start warm."""
    import contextlib
    import io

    import pytest

    report = workdir / "collect.jsonl"
    dirs = sorted({str(ex.path.parent / "tests") for ex in exercises if (ex.path.parent / "tests").is_dir()})
    if str(root) not in sys.path:  # the course's packages import from its root
        sys.path.insert(0, str(root))
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        pytest.main(_pytest_args(root, impl, "all", report, dirs, collect_only=True))
    tests: dict[str, list[str]] = {}
    if report.exists():
        for line in report.read_text(encoding="utf-8").splitlines():
            event = json.loads(line)
            if event["event"] == "collected" and event["exercise"]:
                tests.setdefault(event["exercise"], []).append(event["test"])
    return tests


def child_main(spec: dict) -> None:
    """Inside the child: cap memory, send output to the log, run pytest, write `done`."""
    fd = os.open(spec["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    cap = spec["memory"]
    if cap:
        try:
            import resource
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        except (ImportError, ValueError, OSError):
            pass  # no RLIMIT_AS here (Windows, some macOS versions): the time limit still holds
    import pytest
    code = pytest.main(_pytest_args(Path(spec["root"]), spec["impl"], spec["selector"], Path(spec["report"]),
                                    spec["files"]))
    with open(spec["report"], "a", encoding="utf-8") as f:
        f.write(json.dumps({"event": "done", "exit": int(code), "vmpeak": _vm_peak()}) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()


def _vm_peak() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _start(job: _Job, impl: str, root: Path, fork: bool) -> None:
    spec = {"selector": f"{job.ex.commit}:{job.ex.name}", "impl": impl, "root": str(root), "files": job.files,
            "report": str(job.report), "log": str(job.log), "memory": memory_cap()}
    job.started = time.monotonic()
    if fork:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never return into the parent's code
            code = 0
            try:
                os.setsid()  # its own process group: the parent kills it and any ranks it forks at once
                child_main(spec)
            except BaseException:  # noqa: BLE001 (whatever happens, the parent reads the report)
                code = 70
            os._exit(code)
        job.pid = pid
    else:
        job.proc = subprocess.Popen([sys.executable, "-m", "tools.runner", json.dumps(spec)], cwd=root,
                                    start_new_session=(os.name == "posix"),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        job.pid = job.proc.pid


def _poll(job: _Job) -> int | None:
    """The child's wait status if it ended (reaped), else None."""
    if job.proc is not None:
        code = job.proc.poll()
        return code  # None while running; -N when killed by signal N
    pid, status = os.waitpid(job.pid, os.WNOHANG)
    if pid == 0:
        return None
    return os.waitstatus_to_exitcode(status)


def _kill(job: _Job) -> None:
    try:
        if os.name == "posix":
            os.killpg(job.pid, signal.SIGKILL)
        elif job.proc is not None:
            job.proc.kill()
    except (ProcessLookupError, PermissionError):
        pass
    if job.proc is not None:
        job.proc.wait()
    else:
        try:
            os.waitpid(job.pid, 0)
        except ChildProcessError:
            pass


def _short(test: str | None) -> str:
    return test.split("::")[-1] if test else "start-up"


def _finish(job: _Job, status: int | None, timed_out: bool) -> Result:
    result = Result(seconds=time.monotonic() - job.started)
    if job.report.exists():
        for line in job.report.read_text(encoding="utf-8").splitlines():
            try:
                result.events.append(json.loads(line))
            except json.JSONDecodeError:  # a line cut short by a kill
                pass
    result.log = job.log.read_text(encoding="utf-8", errors="replace") if job.log.exists() else ""
    done = next((e for e in result.events if e["event"] == "done"), None)
    interrupt = next((e for e in result.events if e["event"] == "interrupt"), None)
    running = _short(result.last_started())
    cap = memory_cap()
    if timed_out:
        result.crash = (f"no result within {job.limit:g} s, so it was stopped (killed: no `except` can catch "
                        f"that) while running {running}: an infinite loop, or a loop at the top level of your file?")
    elif interrupt:
        result.crash = (f"{interrupt['message'] or 'KeyboardInterrupt'} during {running}: your code raised "
                        "KeyboardInterrupt (or Ctrl-C was pressed); the tests did not finish")
    elif done is None and status == 0:
        result.crash = (f"the test process exited with status 0 during {running} before reporting: does your code "
                        "call os._exit() or sys.exit()? An early exit is not a pass")
    elif done is None:
        why = f"signal {-status}" if status is not None and status < 0 else f"status {status}"
        result.crash = f"the test process died ({why}) during {running}" + \
            (f": out of memory? (cap {cap / GIB:g} GB, MNC_MEMORY_GB)" if status in (-9, 137) else "")
    elif done["exit"] not in (0, 1, 5):  # 2 interrupted, 3 internal error, 4 usage error
        tail = [line for line in result.log.splitlines() if line.strip()][-3:]
        result.crash = f"pytest stopped (exit {done['exit']}): " + " | ".join(tail)
    return result


def run_exercises(exercises: list[Exercise], impl: str, root: Path = REPO_ROOT, workers: int = 2,
                  limits: dict[str, float] | None = None, fork: bool | None = None,
                  tests: dict[str, list[str]] | None = None) -> tuple[dict[str, Result], dict[str, list[str]]]:
    """Run every exercise's learner-mode tests in its own child; ({key: Result}, {key: test ids})."""
    limits = limits or {}
    fork = (sys.platform.startswith("linux") and hasattr(os, "fork")) if fork is None else fork
    results: dict[str, Result] = {}
    with tempfile.TemporaryDirectory(prefix="mnc-run-") as tmp:
        workdir = Path(tmp)
        tests = collect(exercises, impl, root, workdir) if tests is None else tests
        pending: list[_Job] = []
        for i, ex in enumerate(exercises):
            ids = tests.get(ex.key, [])
            if not ids:
                continue  # nothing to run: the report says "no test checks this exercise"
            files = sorted({str(root / t.split("::")[0]) for t in ids})
            pending.append(_Job(ex, files, limits.get(ex.key, time_limit(ex.key)),
                                workdir / f"{i}.jsonl", workdir / f"{i}.log"))
        running: list[_Job] = []
        try:
            while pending or running:
                while pending and len(running) < workers:
                    job = pending.pop(0)
                    _start(job, impl, root, fork)
                    running.append(job)
                time.sleep(0.02)
                for job in list(running):
                    status = _poll(job)
                    timed_out = status is None and time.monotonic() - job.started > job.limit
                    if timed_out:
                        _kill(job)
                    else:
                        if status is None:
                            continue
                        if os.name == "posix":  # reap any rank the child forked and left behind
                            try:
                                os.killpg(job.pid, signal.SIGKILL)
                            except (ProcessLookupError, PermissionError):
                                pass
                    running.remove(job)
                    results[job.ex.key] = _finish(job, status, timed_out)
        finally:
            for job in running:  # Ctrl-C in the parent: take the children down too
                _kill(job)
    return results, tests


if __name__ == "__main__":  # the child, when it cannot be forked: python -m tools.runner '<json spec>'
    exit_code = 70
    try:
        child_main(json.loads(sys.argv[1]))
        exit_code = 0
    finally:
        os._exit(exit_code)
