"""Commit 2.4: exact resume at its edges — across an epoch boundary, and never with another tokenizer.

Phase 0's tests check the loader alone (phase0_tokenizer/tests/test_data.py: windows over
len % T == 0 data, load_state_dict across an epoch boundary). Here the whole trainer runs: the
checkpoint must carry the loader's epoch (each epoch is a different permutation of the windows),
and a resume must refuse a tokenizer whose bytes differ from the one the run was trained with
(same vocab size, so the model config cannot tell them apart).
"""

import shutil

import pytest
import torch

from phase0_tokenizer import Tokenizer
from phase0_tokenizer.corpus import load_documents
from phase1_model import GPTConfig
from phase2_training.checkpoint import CheckpointError, load_checkpoint
from phase2_training.config import TrainConfig
from phase2_training.data_prep import data_dir_for, file_sha256
from phase2_training.jsonl import read_jsonl
from phase2_training.train import build_trainer

# batch 256 x 32 tokens over the ~127k train tokens of this corpus: 3985 windows, 15 steps per
# epoch, so a 20-step run crosses one epoch boundary (a new permutation of the windows at step 16).
TINY = dict(corpus="asv", max_bytes=250_000, vocab_size=300, tokenizer_bytes=None, val_fraction=0.5,
            batch_size=256, lr=3e-3, warmup_steps=2, eval_iters=1, eval_interval=100, log_interval=1,
            progress=False, threads=1)
MODEL = GPTConfig(lineage="gpt2", n_layer=1, n_head=2, n_embd=32, block_size=32, dropout=0.0)
STEPS_PER_EPOCH = 15


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    return tmp_path_factory.mktemp("data")


def _cfg(out_dir, data_root, **kw):
    return TrainConfig(out_dir=str(out_dir), data_root=str(data_root), model=MODEL, **{**TINY, **kw})


def _trainer(cfg):
    return build_trainer(cfg, log=lambda *a, **k: None)


def _losses(out_dir, first):
    return {r["step"]: r["loss"] for r in read_jsonl(out_dir / "metrics.jsonl")
            if r["kind"] == "train" and r["step"] >= first}


@pytest.fixture(scope="module")
def full_run(tmp_path_factory, data_root):
    """20 uninterrupted steps, a checkpoint every 3 (3, 6, ..., 18, and 20 at the end)."""
    out = tmp_path_factory.mktemp("full")
    trainer = _trainer(_cfg(out, data_root, max_steps=20, checkpoint_interval=3, keep_checkpoints=10))
    assert trainer.loader.steps_per_epoch == STEPS_PER_EPOCH  # the premise of the step numbers below
    trainer.train()
    return out


@pytest.mark.commit("2.4")
@pytest.mark.parametrize("from_step,epoch", [(12, 0), (15, 1), (18, 1)],
                         ids=["before-the-boundary", "at-the-boundary", "inside-epoch-1"])
def test_resume_across_an_epoch_boundary_reproduces_the_uninterrupted_run(tmp_path, data_root, full_run,
                                                                           from_step, epoch):
    ckpt = f"step_{from_step:06d}.pt"
    assert load_checkpoint(full_run / "checkpoints" / ckpt)["loader"]["epoch"] == epoch
    (tmp_path / "checkpoints").mkdir()
    shutil.copy(full_run / "checkpoints" / ckpt, tmp_path / "checkpoints")
    shutil.copy(full_run / "metrics.jsonl", tmp_path / "metrics.jsonl")
    resumed = _trainer(_cfg(tmp_path, data_root, max_steps=20, checkpoint_interval=3, keep_checkpoints=10,
                            resume=True))
    assert (resumed.step, resumed.loader.epoch) == (from_step, epoch)
    resumed.train()
    # The same batches in the same order with the same weights: the losses agree bit for bit.
    assert _losses(tmp_path, first=from_step + 1) == _losses(full_run, first=from_step + 1)
    a = load_checkpoint(full_run / "checkpoints" / "step_000020.pt")
    b = load_checkpoint(tmp_path / "checkpoints" / "step_000020.pt")
    assert a["loader"] == b["loader"] and a["loader"]["epoch"] == 1
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])


def _copy_data(src_root, dst_root, cfg_kw) -> tuple:
    """A second data root with the same prepared data (same folder name, so the same cache hit)."""
    cfg = _cfg("unused", src_root, **cfg_kw)
    src, dst = data_dir_for(cfg), data_dir_for(_cfg("unused", dst_root, **cfg_kw))
    shutil.copytree(src, dst)
    return src, dst


@pytest.mark.commit("2.4")
def test_resume_refuses_a_tokenizer_with_other_bytes_and_accepts_the_same_bytes_elsewhere(
        tmp_path, data_root, full_run):
    kw = dict(max_steps=22, resume=True)
    out = tmp_path / "out"
    (out / "checkpoints").mkdir(parents=True)
    shutil.copy(full_run / "checkpoints" / "step_000020.pt", out / "checkpoints")

    # The same tokenizer bytes in another folder: the check is on the file's hash, not its path.
    _, same = _copy_data(data_root, tmp_path / "same", kw)
    trainer = _trainer(_cfg(out, tmp_path / "same", **kw))
    assert trainer.step == 20 and trainer.data.tokenizer_path.parent == same

    # Another tokenizer with the SAME vocab size (so the model config matches and every token id of
    # the shards stays valid): trained on less text, it learned other merges.
    _, other = _copy_data(data_root, tmp_path / "other", kw)
    tok_path = other / trainer.data.tokenizer_path.name
    text = "\n\n".join(load_documents("asv", max_bytes=250_000))[-30_000:]
    Tokenizer.train(text, TINY["vocab_size"]).save(tok_path)
    assert file_sha256(tok_path) != file_sha256(trainer.data.tokenizer_path)
    with pytest.raises(CheckpointError, match="another tokenizer"):
        _trainer(_cfg(out, tmp_path / "other", **kw))
