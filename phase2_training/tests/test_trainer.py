"""Commits 2.2 and 2.4: the training loop end to end on a tiny model, exact resume, the NaN guard, the CLIs."""

import json
import shutil

import pytest
import torch

from phase1_model import GPTConfig
from phase2_training.checkpoint import CheckpointError, latest_checkpoint, list_checkpoints, load_checkpoint
from phase2_training.config import TrainConfig
from phase2_training.jsonl import read_jsonl
from phase2_training.train import build_trainer
from phase2_training.trainer import TrainingDiverged

TINY = dict(corpus="asv", max_bytes=250_000, vocab_size=300, tokenizer_bytes=None, val_fraction=0.5,
            batch_size=4, lr=3e-3, warmup_steps=2, eval_iters=2, log_interval=1, progress=False, threads=1)
MODEL = dict(lineage="gpt2", n_layer=1, n_head=2, n_embd=32, block_size=32)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return str(tmp_path_factory.mktemp("data"))


def _cfg(out_dir, data_root, dropout=0.0, n_embd=32, **kw):
    model = GPTConfig(**{**MODEL, "n_embd": n_embd, "dropout": dropout})
    return TrainConfig(out_dir=str(out_dir), data_root=data_root, model=model, **{**TINY, **kw})


def Trainer(cfg):  # noqa: N802 (reads like the class it builds)
    return build_trainer(cfg, log=lambda *a, **k: None)


def _losses(out_dir, first=1):
    return {r["step"]: r["loss"] for r in read_jsonl(out_dir / "metrics.jsonl")
            if r["kind"] == "train" and r["step"] >= first}


@pytest.mark.commit("2.2")
def test_training_logs_metrics_evaluates_and_the_loss_falls(tmp_path, data_root):
    summary = Trainer(_cfg(tmp_path, data_root, max_steps=40, eval_interval=20, lr=1e-2)).train()
    records = read_jsonl(tmp_path / "metrics.jsonl")
    kinds = [r["kind"] for r in records]
    assert kinds[0] == "config" and kinds.count("train") == 40 and kinds.count("val") == 2
    losses = _losses(tmp_path)
    assert losses[40] < losses[1] - 1.0, "40 steps at lr 1e-2 should cut the loss by more than a nat"
    val = [r for r in records if r["kind"] == "val"][-1]
    assert val["bpb"] > 0 and summary["val_bpb"] == val["bpb"] and summary["tokens_seen"] == 40 * 4 * 32
    assert [s for s, _ in list_checkpoints(tmp_path / "checkpoints")] == [40]


@pytest.mark.commit("2.4")
def test_resumed_run_reproduces_the_uninterrupted_losses_exactly(tmp_path, data_root):
    # dropout and a shuffled loader: the resume must restore the RNGs and the loader position too
    kw = dict(max_steps=12, checkpoint_interval=6, keep_checkpoints=5, dropout=0.1, eval_interval=4)
    full = tmp_path / "full"
    Trainer(_cfg(full, data_root, **kw)).train()
    resumed = tmp_path / "resumed"
    (resumed / "checkpoints").mkdir(parents=True)
    shutil.copy(full / "checkpoints" / "step_000006.pt", resumed / "checkpoints")
    shutil.copy(full / "metrics.jsonl", resumed / "metrics.jsonl")   # holds steps 7..12 of the first run too
    Trainer(_cfg(resumed, data_root, resume=True, **kw)).train()
    assert _losses(resumed, first=7) == _losses(full, first=7)        # bit for bit, not approx
    a = load_checkpoint(full / "checkpoints" / "step_000012.pt")
    b = load_checkpoint(resumed / "checkpoints" / "step_000012.pt")
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    steps = [r["step"] for r in read_jsonl(resumed / "metrics.jsonl") if r["kind"] == "train"]
    assert steps == list(range(1, 13)), "the resumed log keeps steps 1..6 once and continues from 7"


@pytest.mark.commit("2.4")
def test_checkpoint_holds_everything_a_resume_needs(tmp_path, data_root):
    Trainer(_cfg(tmp_path, data_root, max_steps=3)).train()
    state = load_checkpoint(latest_checkpoint(tmp_path / "checkpoints"))
    assert state["step"] == 3 and state["train_config"]["max_steps"] == 3
    assert state["tokenizer"]["vocab_size"] == 300 and len(state["tokenizer"]["sha256"]) == 64
    assert state["loader"]["windows_done"] == 3 * 4 and state["optimizer"]["state"]
    assert {"python", "torch", "numpy"} <= set(state["rng"])


@pytest.mark.commit("2.4")
def test_resume_refuses_a_missing_or_different_checkpoint(tmp_path, data_root):
    with pytest.raises(CheckpointError, match="drop --resume"):
        Trainer(_cfg(tmp_path, data_root, max_steps=2, resume=True))
    Trainer(_cfg(tmp_path, data_root, max_steps=2)).train()
    with pytest.raises(CheckpointError, match="n_embd"):
        Trainer(_cfg(tmp_path, data_root, max_steps=4, n_embd=64, resume=True))


@pytest.mark.commit("2.3")
def test_nan_guard_stops_and_keeps_the_last_good_checkpoint(tmp_path, data_root):
    trainer = Trainer(_cfg(tmp_path, data_root, max_steps=20, checkpoint_interval=5, eval_interval=100))
    calls = {"n": 0}

    def poison_after_8_steps(module, inputs, output):
        calls["n"] += 1
        return output * float("nan") if calls["n"] > 8 else output

    trainer.model.lm_head.register_forward_hook(poison_after_8_steps)
    with pytest.raises(TrainingDiverged, match=r"step 9: loss is nan.*step_000005\.pt.*--resume"):
        trainer.train()
    assert [s for s, _ in list_checkpoints(tmp_path / "checkpoints")] == [5]
    state = load_checkpoint(tmp_path / "checkpoints" / "step_000005.pt")
    assert all(torch.isfinite(t).all() for t in state["model"].values())


@pytest.mark.commit("2.4")
def test_train_plot_and_sample_clis_work_end_to_end(tmp_path, data_root, capsys):
    from phase2_training.plot import main as plot_main
    from phase2_training.sample import main as sample_main
    from phase2_training.train import main as train_main
    config = tmp_path / "cfg.py"
    config.write_text("from phase1_model import GPTConfig\nfrom phase2_training.config import TrainConfig\n"
                      f"config = TrainConfig(**{json.dumps(TINY)}, model=GPTConfig(**{json.dumps(MODEL)}),"
                      " max_steps=5, eval_interval=5)\n"
                      .replace("true", "True").replace("false", "False").replace("null", "None"))
    out = tmp_path / "run"
    assert train_main(["--config", str(config), f"--out_dir={out}", f"--data_root={data_root}",
                       "--sample_tokens=8"]) == 0
    assert (out / "loss.png").stat().st_size > 1000 and (out / "samples.txt").read_text().strip()
    assert plot_main([str(out / "metrics.jsonl"), "--out", str(tmp_path / "p.png"), "--baseline", "3.0"]) == 0
    assert (tmp_path / "p.png").exists()
    capsys.readouterr()
    assert sample_main(["--checkpoint", str(out / "checkpoints"), "--prompt", "And God", "--max_new_tokens", "5",
                        "--num_samples", "2"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("--- sample") == 2 and printed.count("And God") == 2
    assert sample_main(["--checkpoint", str(tmp_path / "nowhere")]) == 1
