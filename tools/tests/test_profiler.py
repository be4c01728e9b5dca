"""The training profiler: a per-phase table, MFU when the peak is known, and a Chrome trace."""

import json

import pytest

TINY = ["--max_bytes=250000", "--vocab_size=300", "--tokenizer_bytes=none", "--val_fraction=0.5", "--model.n_layer=1",
        "--model.n_embd=32", "--model.n_head=2", "--model.block_size=32", "--batch_size=4", "--threads=1"]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return f"--data_root={tmp_path_factory.mktemp('data')}"


def test_profiler_prints_every_phase_tokens_per_second_and_memory(capsys, data_root):
    from tools.profiler.profile_training import main
    assert main(["--config", "examples/tiny_model.py", "--steps", "3", "--warmup", "1", "--peak_tflops", "1.0",
                 data_root, *TINY]) == 0
    out = capsys.readouterr().out
    for word in ("data", "forward", "backward", "optimizer", "tokens/s", "MFU", "RSS"):
        assert word in out
    assert "% of 1 TFLOP/s peak" in out


def test_profiler_writes_a_chrome_trace(tmp_path, data_root):
    from tools.profiler.profile_training import main
    trace = tmp_path / "out.json"
    assert main(["--config", "examples/tiny_model.py", "--steps", "3", "--warmup", "0", "--trace", str(trace),
                 data_root, *TINY]) == 0
    events = json.loads(trace.read_text())["traceEvents"]
    assert any("aten::" in e.get("name", "") for e in events)


def test_profiler_rejects_bad_config_keys(capsys):
    from tools.profiler.profile_training import main
    assert main(["--config", "examples/tiny_model.py", "--lerning_rate=1"]) == 2
    assert "did you mean 'lr'" in capsys.readouterr().err
