"""The demo's training config as the benches load it: examples/demo_cpu.py, or a tiny version of it.

One place for the `--quick` shrink, so bench_training and bench_guard smoke-run the same thing.
"""

from __future__ import annotations

# --quick: a quarter-megabyte corpus, a 300-token vocabulary and a one-layer model: seconds, no timing read
QUICK_OVERRIDES = ["--max_bytes=250000", "--vocab_size=300", "--tokenizer_bytes=none", "--val_fraction=0.5",
                   "--model.n_layer=1", "--model.n_embd=32", "--model.block_size=32", "--batch_size=4"]


def demo_config(data_root: str, threads: int, quick: bool):
    """The TrainConfig of examples/demo_cpu.py, without progress bars, with its data under data_root."""
    from phase2_training.config import load_config
    overrides = ["--progress=false", f"--data_root={data_root}", f"--threads={threads}"]
    return load_config("examples/demo_cpu.py", overrides + (QUICK_OVERRIDES if quick else []))
