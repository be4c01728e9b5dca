"""The checkpoint scripts start, run the reference, and give verdicts that say what happened.

Nothing else runs them end to end in the suite (each takes a minute or more in full), so a
moved import or a renamed field would otherwise only show when a learner types `make checkpointN`.
These runs use budgets of a few seconds: they check the plumbing and the messages, not the targets.
"""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", module, "--impl", "reference", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_checkpoint2_out_of_time_says_so_instead_of_blaming_the_code():
    """A slow or busy machine must not read as a bug: the clock running out is its own message."""
    proc = run("checkpoints_exercises.phase2.checkpoint", "--time-limit", "2", "--quiet")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "NOT FINISHED" in proc.stdout and "--time-limit" in proc.stdout, proc.stdout
    assert "Is train_step zeroing" not in proc.stdout  # the code-bug hint is for a run that used its steps


@pytest.mark.slow
def test_checkpoint3_runs_both_optimizers_and_writes_its_plot(tmp_path):
    plot = tmp_path / "curves.png"
    proc = run("checkpoints_exercises.phase3.checkpoint", "--time-limit", "3",  # 600 steps: the clock stops it
               "--threads", "1", "--plot", str(plot))
    assert "Traceback" not in proc.stderr, proc.stderr
    assert "adamw" in proc.stdout and "muon" in proc.stdout, proc.stdout
    assert plot.exists() and plot.with_suffix(".json").exists()
    assert proc.returncode == 1 and "NOT FINISHED" in proc.stdout, proc.stdout
