"""Commit 4.3: the full composition root (phase4_distributed.train) on 1 and 2 gloo processes.

Oracles: the same run without interruption (a resume must reproduce its losses AND learning
rates bit for bit on CPU), and what each strategy promises (zero1 shards the optimizer state
with no other flag; one process runs "single" whatever was asked).
"""

import shutil

import pytest
import torch

from phase1_model import GPTConfig
from phase2_training.config import TrainConfig
from phase2_training.data_prep import prepare_data
from phase2_training.jsonl import read_jsonl
from phase4_distributed.dist import run_local
from phase4_distributed.tests._common import WORLD

TINY = dict(corpus="asv", max_bytes=250_000, vocab_size=300, tokenizer_bytes=None, val_fraction=0.5,
            batch_size=2, lr=3e-3, warmup_steps=2, eval_iters=2, eval_interval=3, log_interval=1,
            progress=False, threads=1, max_steps=6, checkpoint_interval=3, keep_checkpoints=5)


def _cfg(out, data_root, dropout=0.1, **kw) -> TrainConfig:
    model = GPTConfig(lineage="gpt2", n_layer=1, n_head=2, n_embd=32, block_size=16, dropout=dropout)
    return TrainConfig(out_dir=str(out), data_root=str(data_root), model=model, **{**TINY, **kw})


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("data")
    prepare_data(_cfg(root / "unused", root), log=lambda *a: None)  # once, in the parent
    return root


def _train(ctx, cfg):
    from phase4_distributed.train import build_trainer
    lines = []
    trainer = build_trainer(cfg, log=lines.append, ctx=ctx)
    trainer.train()
    return {"lines": lines, "optimizer": type(trainer.optimizer).__name__,
            "train_model": type(trainer.train_model).__name__}


def _records(out, kind="train"):
    return {r["step"]: (r["loss"], r["lr"]) if kind == "train" else r["loss"]
            for r in read_jsonl(out / "metrics.jsonl") if r["kind"] == kind}


def _resume_from_step_3(full, resumed):
    (resumed / "checkpoints").mkdir(parents=True)
    shutil.copy(full / "checkpoints" / "step_000003.pt", resumed / "checkpoints")
    shutil.copy(full / "metrics.jsonl", resumed / "metrics.jsonl")


@pytest.mark.commit("4.3")
def test_one_process_runs_single_whatever_was_asked(tmp_path, data_root):
    from phase4_distributed.dist import DistContext
    result = _train(DistContext(), _cfg(tmp_path, data_root, strategy="fsdp", max_steps=2))
    assert any(line.startswith("strategy single (one process") for line in result["lines"]), result["lines"]
    assert result["train_model"] == "GPT" and result["optimizer"] == "AdamW"


@pytest.mark.commit("4.3")
@pytest.mark.parametrize("strategy", ["ddp", "zero1"])
def test_two_rank_resume_reproduces_losses_and_learning_rates_bit_for_bit(tmp_path, data_root, strategy):
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    results = run_local(_train, WORLD, args=(_cfg(full, data_root, strategy=strategy),), timeout_s=240)
    assert f"strategy {strategy} (as asked)" in " ".join(results[0]["lines"])
    assert results[0]["optimizer"] == ("ZeroAdamW" if strategy == "zero1" else "AdamW")  # no other flag needed
    _resume_from_step_3(full, resumed)
    run_local(_train, WORLD, args=(_cfg(resumed, data_root, strategy=strategy, resume=True),), timeout_s=240)
    want, got = _records(full), _records(resumed)
    assert [got[s] for s in (4, 5, 6)] == [want[s] for s in (4, 5, 6)]  # (loss, lr) pairs, exactly
    assert _records(resumed, "val") == _records(full, "val")  # val loss averaged over both ranks


@pytest.mark.commit("4.3")
def test_a_zero1_checkpoint_resumes_on_one_process_with_a_warning(tmp_path, data_root):
    from phase4_distributed.dist import DistContext
    full, resumed = tmp_path / "full", tmp_path / "resumed"
    run_local(_train, WORLD, args=(_cfg(full, data_root, strategy="zero1"),), timeout_s=240)
    _resume_from_step_3(full, resumed)
    result = _train(DistContext(), _cfg(resumed, data_root, strategy="zero1", resume=True))
    warning = " ".join(result["lines"])
    assert "written by 2 process(es), this run has 1" in warning and "global batch changes" in warning
    got = _records(resumed)
    assert sorted(got) == [1, 2, 3, 4, 5, 6] and all(torch.isfinite(torch.tensor(got[s][0])) for s in (4, 5, 6))
    assert got[4][1] == _records(full)[4][1], "the lr schedule continues where it was (initial_lr restored)"


@pytest.mark.commit("4.3")
def test_fp16_with_forced_overflows_resumes_exactly(tmp_path, data_root):
    """The loss scale is part of the run: a resume must continue with the saved scale, not 2**16."""
    from phase4_distributed.dist import DistContext
    full, resumed = tmp_path / "full", tmp_path / "resumed"

    def run(cfg):
        from phase4_distributed.train import build_trainer
        trainer = build_trainer(cfg, log=lambda *a, **k: None, ctx=DistContext())
        if not cfg.resume:  # fp16 gradients overflow: steps are skipped and the scale backs off
            trainer.scaler.scale_value = 2.0 ** 40
        trainer.train()
        return trainer.scaler.scale_value

    scale = run(_cfg(full, data_root, dtype="fp16", dropout=0.0))
    assert scale < 2.0 ** 40, "no overflow happened: the test would prove nothing"
    _resume_from_step_3(full, resumed)
    assert run(_cfg(resumed, data_root, dtype="fp16", dropout=0.0, resume=True)) == scale
    assert [_records(resumed)[s] for s in (4, 5, 6)] == [_records(full)[s] for s in (4, 5, 6)]


def _found_inf_on_rank1(ctx):
    from phase4_distributed.strategy import DistributedLossScaler
    model = torch.nn.Linear(4, 4)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    for p in model.parameters():  # rank 1's shard overflowed, rank 0's did not
        p.grad = torch.full_like(p, float("inf") if ctx.rank == 1 else 1.0)
    scaler = DistributedLossScaler(init_scale=8.0)
    before = model.weight.detach().clone()
    scaler.step(opt)
    scaler.update()
    return torch.equal(model.weight, before), scaler.get_scale()


@pytest.mark.commit("4.3")
def test_fp16_found_inf_is_agreed_by_every_rank():
    # both ranks skip the step and back off, or the replicas would silently diverge
    assert run_local(_found_inf_on_rank1, WORLD) == [(True, 4.0), (True, 4.0)]
