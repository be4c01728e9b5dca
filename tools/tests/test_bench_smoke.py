"""The cheap benches still run (`--quick`: tiny sizes, no timing read).

Benchmarks are never timed in tests (figures come from idle runs, as ratios, in docs/comparisons);
this only keeps their code in step with the stack they measure: bench_training broke silently
when the Trainer started taking its parts. The slower benches (model, optimizer, tokenizer
encode: ~20-45 s each even with --quick) are left to their documented commands.
"""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return tmp_path_factory.mktemp("bench") / "data"  # never the user's runs/data; prepared once, shared


@pytest.mark.slow
@pytest.mark.parametrize("bench, extra", [("bench_training", ["--steps", "2"]), ("bench_guard", ["--steps", "2"]),
                                          ("bench_tokenizer_train", [])])
def test_quick_bench_runs(bench, extra, data_root):
    args = [sys.executable, "-m", f"bench.{bench}", "--quick", *extra]
    if bench != "bench_tokenizer_train":
        args += ["--data_root", str(data_root)]
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stdout[-2000:] + proc.stderr[-4000:]
