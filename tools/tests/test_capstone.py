"""The capstone (`make demo IMPL=learner`, tools/capstone.py) trains on the learner's files and
refuses while any exercise is a stub.

Every test works in a scratch copy of the course (the learner's stubs are files we overwrite):
"the reference copied into a stub" is the reference module's text written to the stub's path,
which is exactly the generated stub with each region's reference body filled in.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tools.exercises import REPO_ROOT, find_exercises
from tools.impl import hybrid_source

SKIP = shutil.ignore_patterns(".git", "runs", "checkpoints", "__pycache__", ".mnc-backups", ".pytest_cache",
                              ".ruff_cache", "*.egg-info", ".hypothesis")

# The demo shrunk to seconds (bench/demo_config.py's --quick shrink with more steps): 150 steps
# take a 1-layer model well below the unigram baseline, so two runs that agree agree on a trained
# model, not on an untrained one.
TINY = ["--progress=false", "--max_bytes=250000", "--vocab_size=300", "--tokenizer_bytes=none",
        "--val_fraction=0.5", "--model.n_layer=1", "--model.n_embd=32", "--model.block_size=32",
        "--batch_size=8", "--max_steps=150", "--warmup_steps=10", "--eval_interval=75",
        "--checkpoint_interval=0", "--threads=1"]

# Appended to a copied stub: wrap some of its functions so that the first call prints where the
# code running under the reference name really came from.
MARK = '''
import functools as _functools


def _capstone_mark(fn):
    @_functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not wrapper.seen:
            wrapper.seen = True
            print(f"CAPSTONE-MARK {{fn.__qualname__}} ran as {{__name__}} from {{__file__}}", flush=True)
        return fn(*args, **kwargs)
    wrapper.seen = False
    return wrapper


{wraps}
'''


def scratch_course(tmp_path: Path, keep_stub: set[str] = frozenset()) -> Path:
    """A copy of the course whose stubs hold the reference code, except the exercises in keep_stub
    (left as the stub body, the rest of their file filled in)."""
    root = tmp_path / "course"
    shutil.copytree(REPO_ROOT, root, ignore=SKIP)
    exercises = find_exercises(root)
    unknown = set(keep_stub) - {ex.key for ex in exercises}
    assert not unknown, f"no such exercise to keep as a stub: {unknown}"  # a renamed region must not pass silently
    for path in sorted({ex.path for ex in exercises}):
        regions = [ex for ex in exercises if ex.path == path]
        _, lines, _, _ = hybrid_source(path, regions, {ex.key for ex in regions} & keep_stub, "stub")
        regions[0].stub_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def plant(root: Path, stub: str, *wrapped: str) -> None:
    """Make the named functions (or Class.method) of a copied stub announce their first call."""
    wraps = "\n".join(f"{name} = _capstone_mark({name})" for name in wrapped)
    with (root / stub).open("a", encoding="utf-8") as f:
        f.write(MARK.format(wraps=wraps))


def run(root: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("MNC_IMPL", "MNC_FUSED")}
    env["PYTHONPATH"] = str(root)  # the scratch copy, not the checkout (nor an installed course)
    return subprocess.run([sys.executable, "-m", *args], cwd=root, env=env, capture_output=True, text=True,
                          timeout=timeout)


def val_bpb(stdout: str) -> tuple[float, float]:
    """(val bits per byte, unigram baseline) from the demo's last line."""
    m = re.search(r"^val bits per byte (\S+) \(unigram baseline (\S+)\)", stdout, re.M)
    assert m, stdout[-3000:]
    return float(m[1]), float(m[2])


def test_it_refuses_naming_every_exercise_still_a_stub(tmp_path):
    root = scratch_course(tmp_path, keep_stub={"3.2 newton_schulz", "3.2 muon_update", "2.1 cross_entropy"})
    # a learner who deleted the TODO line but left the raise has not written the exercise either
    adam = root / "phase3_optim/exercises/adam.py"
    (ex,) = [e for e in find_exercises(root) if e.key == "3.1 adam_update"]
    lines = adam.read_text(encoding="utf-8").splitlines()
    lines[ex.start + 1:ex.end] = [f'{ex.indent}raise NotImplementedError("exercise 3.1 adam_update")']
    adam.write_text("\n".join(lines) + "\n", encoding="utf-8")

    proc = run(root, "tools.capstone", "demo", *TINY, "--out", str(tmp_path / "out"))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr, proc.stderr
    out = proc.stdout
    assert f"4 of {len(find_exercises(root))} exercises are still stubs" in out, out
    assert "3.2  phase3_optim/exercises/muon.py: newton_schulz, muon_update" in out, out
    assert "2.1  phase2_training/exercises/loss.py: cross_entropy" in out, out
    assert "3.1  phase3_optim/exercises/adam.py: adam_update" in out, out
    assert "log_softmax" not in out and "weight_decay" not in out, out  # written ones are not blamed
    assert "make progress" in out
    assert not (tmp_path / "out").exists()  # nothing ran


@pytest.mark.parametrize("entry", ["demo", "speedrun"])
def test_reference_names_load_the_learners_files(tmp_path, entry):
    """`<entry> --help` imports the entry's modules and stops: the learner's loss.py must be what
    `phase2_training.loss` is (the trainer's evaluation imports it)."""
    root = scratch_course(tmp_path)
    with (root / "phase2_training/exercises/loss.py").open("a", encoding="utf-8") as f:
        f.write('\nprint(f"CAPSTONE-MARK module {__name__} from {__file__}")\n')
    proc = run(root, "tools.capstone", entry, "--help")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"CAPSTONE-MARK module phase2_training.loss from {root / 'phase2_training/exercises/loss.py'}" \
        in proc.stdout, proc.stdout
    assert proc.stdout.count("CAPSTONE-MARK") == 1  # loaded once: never also as phase2_training.exercises.loss


@pytest.mark.slow
def test_the_capstone_on_the_reference_code_matches_the_reference_demo(tmp_path):
    root = scratch_course(tmp_path)
    # tokenizer, model, loss, loop, optimizer: each must run from the learner's file
    plant(root, "phase0_tokenizer/exercises/bpe_fast.py", "train_bpe_fast")
    plant(root, "phase1_model/exercises/gpt.py", "GPT.forward")
    plant(root, "phase2_training/exercises/loss.py", "cross_entropy")
    plant(root, "phase2_training/exercises/step.py", "train_step")
    plant(root, "phase3_optim/exercises/adam.py", "adam_foreach", "adam_update")

    learner = run(root, "tools.capstone", "demo", *TINY, "--out", str(tmp_path / "learner"))
    assert learner.returncode == 0, learner.stdout + learner.stderr
    reference = run(root, "phase2_training.demo", *TINY, "--out", str(tmp_path / "reference"),
                    f"--data_root={tmp_path / 'reference_data'}")
    assert reference.returncode == 0, reference.stdout + reference.stderr
    assert "CAPSTONE-MARK" not in reference.stdout  # the plain demo never touches exercises/

    for what, stub in [("train_bpe_fast", "phase0_tokenizer/exercises/bpe_fast.py"),
                       ("GPT.forward", "phase1_model/exercises/gpt.py"),
                       ("cross_entropy", "phase2_training/exercises/loss.py"),
                       ("train_step", "phase2_training/exercises/step.py"),
                       ("adam_foreach", "phase3_optim/exercises/adam.py")]:
        assert f"CAPSTONE-MARK {what} ran as " in learner.stdout and str(root / stub) in learner.stdout, \
            f"{what} did not run from {stub}:\n{learner.stdout[-3000:]}"
    assert (tmp_path / "learner" / "data").is_dir()  # the learner's tokenizer built its own data
    assert "That was YOUR code" in learner.stdout

    (ours, _), (theirs, unigram) = val_bpb(learner.stdout), val_bpb(reference.stdout)
    assert theirs < unigram - 0.3, reference.stdout  # the model learned: agreeing is not trivial
    # 0.02 bits/byte is the "within noise" bar for a learner's own code. Here the two runs
    # share the seed, the data pipeline's code and the config; they differ only in the optimizer
    # (torch's AdamW vs the course's AdamW, the same maths in another op order), so they agree to
    # float32 round-off over 150 steps (measured: equal to 4 decimals), far inside the bar.
    assert abs(ours - theirs) <= 0.02, (ours, theirs)


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize("target, reference", [("demo", "phase2_training.demo"), ("speedrun", "phase3_optim.speedrun")])
def test_make_runs_the_capstone_only_when_impl_learner_is_given(target, reference):
    """The Makefile's IMPL defaults to learner (for `make phaseX.Y`); a plain `make demo` must stay the reference."""
    def dry(*args: str) -> str:
        env = {k: v for k, v in os.environ.items() if k not in ("IMPL", "MAKEFLAGS")}
        return subprocess.run(["make", "-n", target, *args], cwd=REPO_ROOT, env=env, capture_output=True,
                              text=True, check=True).stdout
    assert f"-m {reference}" in dry() and "capstone" not in dry()
    assert f"-m {reference}" in dry("IMPL=reference")
    assert f"-m tools.capstone {target}" in dry("IMPL=learner")


def test_make_progress_announces_the_capstone_once_everything_passes(tmp_path):
    from tools.tests.fake_course import env_for, learner_writes, make_course
    root = make_course(tmp_path)

    def progress() -> str:
        return subprocess.run([sys.executable, "-m", "tools.progress", "all", "--root", str(root)], cwd=root,
                              env=env_for(root, COLUMNS="200"), capture_output=True, text=True, timeout=120).stdout

    learner_writes(root, "double", "return x + x")
    learner_writes(root, "square", "return x + x")  # wrong: 3 -> 6, not 9
    out = progress()
    assert "1/2 done" in out and "Capstone unlocked" not in out and "once every exercise passes" in out, out
    learner_writes(root, "square", "return x * x")
    assert "Capstone unlocked: make demo IMPL=learner" in progress()
