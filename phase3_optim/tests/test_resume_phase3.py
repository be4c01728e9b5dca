"""Resuming what phase 3 adds (issue 13): the fp16 loss scaler's state travels in the checkpoint, and a
resume with another optimizer is refused with a message naming both (its state cannot carry over)."""

import pytest
import torch

from phase2_training.checkpoint import load_checkpoint
from phase2_training.jsonl import read_jsonl
from phase3_optim.precision import LossScaler
from phase3_optim.train import main as train_main

pytestmark = pytest.mark.commit("3.3")

TINY = ["--corpus=asv", "--max_bytes=250000", "--vocab_size=300", "--tokenizer_bytes=none", "--val_fraction=0.5",
        "--batch_size=4", "--warmup_steps=2", "--eval_iters=2", "--log_interval=1", "--progress=false",
        "--threads=1", "--eval_interval=100", "--model.lineage=gpt2", "--model.n_layer=1", "--model.n_head=2",
        "--model.n_embd=32", "--model.block_size=32"]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("data"))


def train(out, data_root, *flags):
    return train_main([*TINY, f"--data_root={data_root}", f"--out_dir={out}", *flags])


def losses(out):
    return {r["step"]: r["loss"] for r in read_jsonl(out / "metrics.jsonl") if r["kind"] == "train"}


def test_fp16_resume_continues_the_loss_scale_exactly(tmp_path, data_root, monkeypatch):
    import phase3_optim.train as entry
    # the scale grows every 2 clean steps, so at step 3 it is no longer the initial one: a resume that
    # restarted the scaler would train steps 4..6 with another scale (and another growth count)
    monkeypatch.setattr(entry, "make_scaler",
                        lambda cfg: LossScaler(growth_interval=2) if cfg.dtype == "fp16" else None)
    flags = ["--dtype=fp16", "--device=cpu", "--max_steps=6", "--checkpoint_interval=3", "--keep_checkpoints=5"]
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    assert train(full, data_root, *flags) == 0
    at3 = load_checkpoint(full / "checkpoints" / "step_000003.pt")["scaler"]
    assert at3["scale"] != LossScaler().state_dict()["scale"] or at3["growth_tracker"] != 0
    assert train(resumed, data_root, *flags[:-3], "--max_steps=3", "--checkpoint_interval=3") == 0
    assert train(resumed, data_root, *flags, "--resume") == 0
    end_full = load_checkpoint(full / "checkpoints" / "step_000006.pt")
    end_resumed = load_checkpoint(resumed / "checkpoints" / "step_000006.pt")
    assert end_resumed["scaler"] == end_full["scaler"]
    assert {s: v for s, v in losses(resumed).items() if s > 3} == {s: v for s, v in losses(full).items() if s > 3}
    assert all(torch.equal(end_full["model"][k], end_resumed["model"][k]) for k in end_full["model"])


@pytest.mark.parametrize("first, then", [("adamw", "muon"), ("muon", "adamw")])
def test_resume_with_another_optimizer_is_refused_by_name(tmp_path, data_root, capsys, first, then):
    out = tmp_path / "run"
    assert train(out, data_root, f"--optimizer={first}", "--max_steps=2") == 0
    before = (out / "checkpoints" / "step_000002.pt").read_bytes()
    capsys.readouterr()
    assert train(out, data_root, f"--optimizer={then}", "--max_steps=4", "--resume") == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "KeyError" not in err
    assert f"--optimizer={first}" in err and f"--optimizer={then}" in err and "does not carry over" in err
    assert (out / "checkpoints" / "step_000002.pt").read_bytes() == before
    assert train(out, data_root, f"--optimizer={first}", "--max_steps=4", "--resume") == 0  # the named fix works
