"""Never lose a run, never trust a bad file (issue 13): the trainer's command line as a hostile user drives it.

Each test runs the real entry (`phase2_training.train.main`, in this process: its return value is the
exit status, and reaching it proves no exception escaped), shows the message and the exit status, and
that nothing was lost: earlier checkpoints intact and loadable, the first run's metrics.jsonl unchanged.
Exit status (documented in train.py and the README): 2 bad config or usage, 1 the run stopped.
"""

import errno
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from phase2_training.checkpoint import CheckpointError, checksum_path, list_checkpoints, load_checkpoint
from phase2_training.out_dir import LOCK_FILE, PID_FILE, claim_out_dir
from phase2_training.sample import main as sample_main
from phase2_training.train import main as train_main

pytestmark = pytest.mark.commit("2.4")

TINY = ["--corpus=asv", "--max_bytes=250000", "--vocab_size=300", "--tokenizer_bytes=none", "--val_fraction=0.5",
        "--batch_size=4", "--warmup_steps=2", "--eval_iters=2", "--log_interval=1", "--progress=false",
        "--threads=1", "--eval_interval=100", "--model.lineage=gpt2", "--model.n_layer=1", "--model.n_head=2",
        "--model.n_embd=32", "--model.block_size=32"]


@pytest.fixture(scope="module")
def data_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("data"))
    assert train_main([*TINY, f"--data_root={root}", f"--out_dir={root}/warmup", "--max_steps=2"]) == 0
    return root


def train(out, data_root, *flags):
    return train_main([*TINY, f"--data_root={data_root}", f"--out_dir={out}", *flags])


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def steps(out: Path) -> list[int]:
    return [s for s, _ in list_checkpoints(out / "checkpoints")]


def finite(path: Path) -> bool:
    return all(torch.isfinite(t).all() for t in torch.load(path, weights_only=True)["model"].values())


def error(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


@pytest.fixture
def first_run(tmp_path, data_root):
    """A finished 4-step run with checkpoints at 2 and 4; returns (out_dir, metrics.jsonl digest)."""
    out = tmp_path / "run"
    assert train(out, data_root, "--max_steps=4", "--checkpoint_interval=2", "--keep_checkpoints=5") == 0
    return out, digest(out / "metrics.jsonl")


# ---- 1. the NaN guard protects the checkpoints -----------------------------------------------------
@pytest.mark.parametrize("flag, says", [("--lr=inf", "lr=inf"), ("--lr=nan", "lr=nan"),
                                        ("--weight_decay=nan", "weight_decay=nan"),
                                        ("--grad_clip=nan", "grad_clip=nan"),
                                        ("--grad_clip=-1", "grad_clip=-1"), ("--beta2=1", "beta2=1.0"),
                                        ("--beta1=nan", "beta1=nan"), ("--lr=1e39", "lr=1e+39")])
def test_non_finite_or_out_of_range_hyperparameters_are_config_errors(tmp_path, data_root, capsys, flag, says):
    assert train(tmp_path / "run", data_root, flag) == 2
    assert says in error(capsys)
    assert not (tmp_path / "run").exists(), "a config error is found before anything is written"


def test_an_update_that_overflows_the_weights_is_caught_before_any_checkpoint(first_run, data_root, capsys):
    from phase2_training.config import load_config
    from phase2_training.train import build_trainer
    from phase2_training.trainer import TrainingDiverged
    out, metrics = first_run
    good = out / "checkpoints" / "step_000004.pt"
    before = digest(good)
    cfg = load_config(None, [*TINY, f"--data_root={data_root}", f"--out_dir={out}", "--resume", "--max_steps=8",
                             "--checkpoint_interval=1", "--log_interval=100"])
    trainer = build_trainer(cfg, log=lambda *a, **k: None)

    def overflow_on_step_5(optimizer, args, kwargs):  # what --lr=1e6 without clipping does, on cue:
        if trainer.step == 4:                           # the loss before the update was finite,
            next(trainer.model.parameters()).data[0] = float("inf")  # the weights after it are not

    trainer.optimizer.register_step_post_hook(overflow_on_step_5)
    with pytest.raises(TrainingDiverged, match=rf"step 5: the update made the weights non-finite.*{good}.*--resume"):
        trainer.train()
    assert steps(out) == [2, 4], "no checkpoint of the poisoned step-5 weights (nothing saved, nothing pruned)"
    assert digest(good) == before and finite(good)
    load_checkpoint(good)  # verifies: checksum and finite weights
    # the advice works: resume from the named checkpoint with a lower lr and the run trains on
    assert train(out, data_root, "--resume", "--max_steps=8", "--checkpoint_interval=2", "--lr=1e-3") == 0
    assert "lr 0.003 -> 0.001" in capsys.readouterr().out
    assert steps(out)[-1] == 8 and finite(out / "checkpoints" / "step_000008.pt")
    assert load_checkpoint(out / "checkpoints" / "step_000008.pt")["optimizer"]["param_groups"][0]["initial_lr"] \
        == pytest.approx(1e-3), "the resumed run uses the new --lr, not the one in the optimizer state"


def test_a_diverging_cli_run_never_checkpoints_nan(tmp_path, data_root, capsys):
    out = tmp_path / "run"  # the issue's --lr=1e6 --grad_clip=0: the loss turns nan within a few steps
    assert train(out, data_root, "--lr=1e6", "--grad_clip=0", "--max_steps=30", "--checkpoint_interval=1",
                 "--keep_checkpoints=2") == 1
    err = error(capsys)
    assert "training stopped at step" in err and "verified finite" in err
    kept = [p for _, p in list_checkpoints(out / "checkpoints")]
    assert kept and all(finite(p) for p in kept), "pruning (keep 2) left finite checkpoints, never only poisoned ones"
    assert str(kept[-1]) in err


def test_weights_finite_is_one_fused_check_that_sees_nan_and_inf():
    from phase2_training.trainer import all_finite
    ts = [torch.randn(3, 3), torch.randn(4), torch.empty(0)]
    assert all_finite(ts)
    for bad in (float("nan"), float("inf"), -float("inf")):
        poisoned = [t.clone() for t in ts]
        poisoned[1][2] = bad
        assert not all_finite(poisoned)
    # huge but finite weights are finite: their 2-norm overflows, the exact fallback decides
    assert all_finite([torch.full((2,), 1e30)])


# ---- 2. runs that cannot clobber each other ---------------------------------------------------------
def test_fresh_run_into_a_used_out_dir_stops_and_overwrite_moves_the_old_run_aside(first_run, data_root, capsys):
    out, metrics = first_run
    assert train(out, data_root, "--max_steps=2") == 2
    err = error(capsys)
    assert "already holds a run" in err and "--resume" in err and "--overwrite" in err
    assert digest(out / "metrics.jsonl") == metrics and steps(out) == [2, 4]
    assert train(out, data_root, "--max_steps=2", "--overwrite") == 0
    old = [p for p in out.parent.iterdir() if p.name.startswith("run.old-")]
    assert len(old) == 1, "the old run was moved, not deleted"
    assert digest(old[0] / "metrics.jsonl") == metrics and steps(old[0]) == [2, 4]
    load_checkpoint(old[0] / "checkpoints" / "step_000004.pt")
    assert steps(out) == [2]
    assert train(out, data_root, "--max_steps=2", "--resume", "--overwrite") == 2
    assert "contradict" in error(capsys)


def test_a_second_trainer_on_the_same_out_dir_is_refused_and_a_dead_owners_lock_is_taken_over(
        first_run, data_root, capsys):
    out, metrics = first_run
    with claim_out_dir(out, resume=True, log=lambda *a: None):  # a live trainer holds the lock (another fd)
        assert train(out, data_root, "--resume", "--max_steps=6") == 2
        err = error(capsys)
        assert f"{out / LOCK_FILE}" in err and f"PID {os.getpid()}" in err
    assert digest(out / "metrics.jsonl") == metrics and steps(out) == [2, 4]
    # a trainer killed while holding the lock: the OS drops the lock with the process; the files stay
    code = (f"import os; from phase2_training.out_dir import claim_out_dir\n"
            f"c = claim_out_dir({str(out)!r}, resume=True); c.__enter__(); os._exit(0)")
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": os.getcwd()})
    assert (out / LOCK_FILE).exists() and (out / PID_FILE).exists()
    assert train(out, data_root, "--resume", "--max_steps=6", "--checkpoint_interval=2") == 0
    assert steps(out)[-1] == 6


@pytest.mark.parametrize("key", ["out_dir", "data_root"])
def test_an_unwritable_or_empty_folder_is_a_config_error(tmp_path, data_root, capsys, key):
    a_file = tmp_path / "file"
    a_file.write_text("not a folder")
    flags = {"out_dir": str(tmp_path / "run"), "data_root": str(tmp_path / "newdata")}
    flags[key] = str(a_file / "sub")  # a path under a file: no one can write there, root included
    assert train_main([*TINY, *(f"--{k}={v}" for k, v in flags.items()), "--max_steps=2"]) == 2
    assert f"--{key}={a_file / 'sub'} is not a writable folder" in error(capsys)
    assert train_main([*TINY, f"--{key}=", "--max_steps=2"]) == 2
    assert f"{key}='': must name a folder" in error(capsys)


# ---- 3. checkpoints you can trust ------------------------------------------------------------------
def _tamper(path: Path) -> None:
    """Change the content but keep a perfectly valid torch file: what a flipped byte in a tensor does."""
    state = torch.load(path, weights_only=True)
    name = next(iter(state["model"]))
    state["model"][name].view(-1)[0] += 0.5
    torch.save(state, path)


def test_a_checkpoint_changed_after_writing_is_refused_and_resume_falls_back(first_run, data_root, capsys):
    out, metrics = first_run
    ckpts = out / "checkpoints"
    assert checksum_path(ckpts / "step_000004.pt").read_text().split()[0] == digest(ckpts / "step_000004.pt")
    _tamper(ckpts / "step_000004.pt")
    with pytest.raises(CheckpointError, match=r"step_000004\.pt cannot be trusted.*checksum.*previous good "
                                              r"checkpoint is .*step_000002\.pt"):
        load_checkpoint(ckpts / "step_000004.pt")
    assert train(out, data_root, "--resume", "--max_steps=6", "--checkpoint_interval=2", "--keep_checkpoints=5") == 0
    printed = capsys.readouterr().out
    assert "skipping" in printed and "step_000004.pt" in printed and "checksum" in printed
    assert "resumed from" in printed and "step_000002.pt at step 2" in printed
    assert steps(out) == [2, 4, 6] and load_checkpoint(ckpts / "step_000004.pt")["step"] == 4  # rewritten, good


def test_a_checkpoint_with_non_finite_weights_never_loads(tmp_path, first_run):
    out, _ = first_run
    path = out / "checkpoints" / "step_000004.pt"
    state = torch.load(path, weights_only=True)
    next(iter(state["model"].values())).view(-1)[0] = float("nan")
    bad = tmp_path / "copy" / "step_000004.pt"  # no sidecar: only the finiteness check can catch it
    bad.parent.mkdir()
    torch.save(state, bad)
    with pytest.raises(CheckpointError, match="non-finite weights"):
        load_checkpoint(bad)


def test_disk_full_while_saving_says_so_names_the_intact_checkpoint_and_leaves_no_temp(
        first_run, data_root, capsys, monkeypatch):
    out, _ = first_run
    ckpts = out / "checkpoints"
    before = digest(ckpts / "step_000004.pt")
    real_save = torch.save

    def full_disk(obj, f, *a, **k):  # some bytes land, then the device is full
        f.write(b"PK\x03\x04 partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(torch, "save", full_disk)
    assert train(out, data_root, "--resume", "--max_steps=6", "--checkpoint_interval=2") == 1
    err = error(capsys)
    assert "disk full while writing" in err and f"{ckpts / 'step_000004.pt'} is intact" in err
    monkeypatch.setattr(torch, "save", real_save)
    assert sorted(p.name for p in ckpts.iterdir()) == ["step_000002.pt", "step_000002.pt.sha256",
                                                       "step_000004.pt", "step_000004.pt.sha256"], "no temp left"
    assert digest(ckpts / "step_000004.pt") == before
    load_checkpoint(ckpts / "step_000004.pt")


def test_a_changed_global_batch_is_announced_on_resume(first_run, data_root, capsys):
    out, _ = first_run
    assert train(out, data_root, "--resume", "--max_steps=5", "--grad_accum_steps=2") == 0
    assert "global batch changes from 128 to 256 tokens per step" in capsys.readouterr().out


# ---- 4. every user error is a message and exit 2 ---------------------------------------------------
@pytest.mark.parametrize("body, says", [
    ("config = TrainConfig(lr=1e-3\n", "line 1: syntax error"),
    ("import json\nx = 1 / 0\n", "line 2 raised ZeroDivisionError"),
    ("from phase2_training.config import TrainConfig\nconfig = TrainConfig(lr=-1)\n", "lr=-1"),
])
def test_a_broken_config_file_is_a_message_with_its_line(tmp_path, capsys, body, says):
    cfg = tmp_path / "cfg.py"
    cfg.write_text(body)
    assert train_main(["--config", str(cfg)]) == 2
    err = error(capsys)
    assert str(cfg) in err and says in err
    assert train_main(["--config", "--max_steps=3"]) == 2
    assert "--config needs a path" in error(capsys)


@pytest.mark.parametrize("flag, says", [
    ("--device=cpu:abc", "not a device name"),
    pytest.param("--device=cuda", "no CUDA GPU", marks=pytest.mark.skipif(torch.cuda.is_available(),
                                                                          reason="this machine has a GPU")),
    ("--model.n_head=3", "not divisible by n_head=3"),
    ("--model.mlp=nope", "mlp='nope'"),
    ("--model.n_layer=two", "--model.n_layer=two: expected int"),
    ("--seed=99999999999999999999", "seed=99999999999999999999: must be < 2**63"),
])
def test_bad_device_and_model_flags_are_config_errors(tmp_path, data_root, capsys, flag, says):
    assert train(tmp_path / "run", data_root, flag, "--max_steps=2") == 2
    assert says in error(capsys)
    assert not (tmp_path / "run").exists(), "a run that failed before training leaves no folder behind"


def test_an_unknown_corpus_is_a_config_error_and_leaves_no_folder(tmp_path, capsys):
    root = tmp_path / "data"
    assert train_main([*TINY, f"--data_root={root}", f"--out_dir={tmp_path / 'run'}", "--corpus=nope"]) == 2
    assert "--corpus=nope" in error(capsys)
    assert not root.exists() or not any(root.iterdir()), "no empty data folder left behind"


def _copy_data(data_root: str, tmp_path: Path) -> tuple[str, Path]:
    root = tmp_path / "data"
    shutil.copytree(data_root, root, ignore=shutil.ignore_patterns("warmup"))
    (prepared,) = [p for p in root.iterdir() if (p / "meta.json").exists()]
    return str(root), prepared


def test_shards_with_ids_outside_the_vocabulary_are_refused_by_name(tmp_path, data_root, capsys):
    root, prepared = _copy_data(data_root, tmp_path)
    shard = prepared / "train_000000.bin"
    ids = np.fromfile(shard, dtype="<u2")
    ids[10] = 300  # == vocab_size: one past the last id (F.embedding would raise IndexError mid-run)
    ids.tofile(shard)
    assert train(tmp_path / "run", root, "--max_steps=2") == 2
    err = error(capsys)
    assert f"{shard}" in err and "token id 300" in err and "vocab_size=300" in err


def test_meta_json_with_an_unknown_dtype_is_refused_by_name(tmp_path, data_root, capsys):
    root, prepared = _copy_data(data_root, tmp_path)
    meta = json.loads((prepared / "meta.json").read_text())
    (prepared / "meta.json").write_text(json.dumps({**meta, "dtype": "float64"}))
    assert train(tmp_path / "run", root, "--max_steps=2") == 2
    err = error(capsys)
    assert f"{prepared / 'meta.json'}" in err and "dtype='float64'" in err


def test_disk_full_while_preparing_data_leaves_no_folder_and_no_temp(tmp_path, capsys, monkeypatch):
    import phase0_tokenizer.data as shards
    from phase2_training.data_prep import main as prep_main

    real = shards.atomic_write_bytes
    written = []

    def full_after_one_shard(path, data):  # the first shard lands, the second finds the disk full
        if written:
            Path(path).with_name(f".{Path(path).name}.tmp-{os.getpid()}").write_bytes(data[:100])
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path)
        return real(path, data)

    monkeypatch.setattr(shards, "atomic_write_bytes", full_after_one_shard)
    root = tmp_path / "data"
    assert prep_main([*TINY[:5], f"--data_root={root}", "--max_bytes=60000"]) == 1
    assert "disk full" in error(capsys) and written
    assert not root.exists() or not any(root.iterdir()), "no half-built data folder, no temp file"


@pytest.mark.parametrize("flag, says", [("--temperature=nan", "--temperature=nan"), ("--top_k=-3", "--top_k=-3"),
                                        ("--num_samples=0", "--num_samples=0"), ("--device=cpu:abc", "cpu:abc")])
def test_sample_refuses_bad_flags_with_exit_2(first_run, capsys, flag, says):
    out, _ = first_run
    with pytest.raises(SystemExit) as exit_:
        sample_main(["--checkpoint", str(out / "checkpoints"), flag])
    assert exit_.value.code == 2 and says in error(capsys)


def test_disk_full_on_the_checksum_sidecar_drops_the_new_pair_and_keeps_the_old(first_run, monkeypatch):
    import phase2_training.checkpoint as ckpt
    out, _ = first_run
    ckpts = out / "checkpoints"
    state = load_checkpoint(ckpts / "step_000004.pt")

    def full(path, text):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(ckpt, "atomic_write_text", full)
    expected = r"disk full while writing .*step_000006\.pt.*step_000004\.pt is intact"
    with pytest.raises(ckpt.DiskFullError, match=expected):
        ckpt.save_checkpoint(ckpts, {**state, "step": 6})
    assert sorted(p.name for p in ckpts.iterdir()) == ["step_000002.pt", "step_000002.pt.sha256",
                                                       "step_000004.pt", "step_000004.pt.sha256"]
    # the same step again (a resumed run re-saving it): the old file and its sidecar survive a failed write
    monkeypatch.setattr(torch, "save", lambda obj, f: (_ for _ in ()).throw(OSError(errno.ENOSPC, "full")))
    before = digest(ckpts / "step_000004.pt")
    with pytest.raises(ckpt.DiskFullError):
        ckpt.save_checkpoint(ckpts, state)
    assert digest(ckpts / "step_000004.pt") == before
    monkeypatch.undo()
    load_checkpoint(ckpts / "step_000004.pt")


def test_resuming_a_finished_run_says_there_is_nothing_to_train(first_run, data_root, capsys):
    """--resume with --max_steps at or below the checkpoint's step: a plain message, not 'train loss nan'."""
    out, metrics = first_run
    capsys.readouterr()
    assert train(out, data_root, "--max_steps=4", "--resume") == 0
    said = capsys.readouterr().out
    assert "nothing to train" in said and "--max_steps=4" in said and "nan" not in said, said
    assert digest(out / "metrics.jsonl") == metrics  # nothing appended
