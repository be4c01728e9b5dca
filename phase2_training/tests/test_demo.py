"""The demo pipeline end to end, in a smoke-sized form (the real one: `make demo`, minutes)."""

import pytest


@pytest.mark.commit("2.4")
@pytest.mark.slow
def test_demo_writes_report_plot_samples_and_beats_nothing_silently(tmp_path):
    from phase2_training.demo import main
    out = tmp_path / "demo"
    args = ["--out", str(out), f"--data_root={tmp_path / 'data'}", "--progress=false", "--max_bytes=400000",
            "--vocab_size=512", "--val_fraction=0.5", "--model.n_layer=1", "--model.n_embd=64", "--model.block_size=64",
            "--batch_size=8", "--max_steps=60", "--warmup_steps=5", "--eval_interval=30", "--checkpoint_interval=0",
            "--threads=1"]
    assert main(args) == 0
    report = (out / "report.md").read_text()
    for needle in ("val bits per byte", "unigram baseline", "tokens seen", "tokens/s", "## Samples", "## Config"):
        assert needle in report
    assert (out / "loss.png").stat().st_size > 1000
    assert (out / "samples.txt").read_text().count("[") == 3
    assert (out / "checkpoints" / "step_000060.pt").exists()
