"""The speedrun entry (phase3_optim/speedrun.py): its clock, its rules, and one tiny run end to end."""

import itertools
import json
import math
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from phase0_tokenizer.corpus import load_documents
from phase1_model import ConfigError, GPTConfig
from phase2_training.config import TrainConfig
from phase2_training.schedule import lr_multiplier
from phase3_optim import speedrun

REPO = Path(__file__).resolve().parents[2]


def on_time(max_steps=1000, train_until=16.0, warmup=2, decay_frac=0.5):
    cfg = TrainConfig(schedule="wsd", max_steps=max_steps, warmup_steps=warmup, decay_frac=decay_frac,
                      model=GPTConfig(lineage="nanochat", n_layer=1, n_head=2, n_embd=32, block_size=16))
    trainer = SimpleNamespace(cfg=cfg, step=0)
    return speedrun.OnTime(itertools.repeat(("x", "y")), trainer, train_until, window=4, warm=2), cfg


@pytest.mark.commit("3.3")
def test_on_time_plans_the_steps_that_fit_and_ends_on_time():
    # steps of exactly 0.125 s (a binary fraction: the planned count below is exact, no float rounding)
    clock, cfg = on_time(train_until=16.0)
    for step in range(3):  # the warm-up steps are not measured: the cap stays until a step time is known
        clock.plan(step, 0.125 * step)
    assert cfg.max_steps == 1000
    for step in range(3, 10):
        clock.plan(step, 0.125 * step)
        assert cfg.max_steps == step + int((16.0 - 0.125 * step) / 0.125) == 128  # closed form: all of it fits
    # twice as slow, still before the decay (it starts at 128 - 64): fewer steps planned, the decay moves earlier
    now = 0.125 * 9
    for step in range(10, 20):
        now += 0.25
        clock.plan(step, now)
    assert cfg.max_steps == 19 + int((16.0 - now) / 0.25)
    with pytest.raises(speedrun.TimeUp):  # past the training time: stop, whatever was planned
        clock.plan(cfg.max_steps - 1, 16.0)


@pytest.mark.commit("3.3")
def test_on_time_never_raises_the_lr_once_the_decay_has_begun():
    clock, cfg = on_time(max_steps=1000, train_until=16.0)
    for step in range(3, 10):
        clock.plan(step, 0.125 * step)
    assert cfg.max_steps == 128 and speedrun.decay_start(cfg) == 64
    now, lrs = 0.125 * 70, []
    clock.stamps.clear()
    for step in range(70, 76):  # in the decay, steps get 8x faster: more fit, but the plan grows one per step
        now += 0.015625
        clock.plan(step, now)
        lrs.append(lr_multiplier(step, "wsd", cfg.warmup_steps, cfg.max_steps, 0.0, cfg.decay_frac))
    assert cfg.max_steps == 128 + 5  # one more per step from 71 (step 70 starts the cleared window)
    for step in range(76, 82):  # and 4x slower: the plan shrinks so the decay still ends on time
        now += 0.5
        clock.plan(step, now)
        lrs.append(lr_multiplier(step, "wsd", cfg.warmup_steps, cfg.max_steps, 0.0, cfg.decay_frac))
    assert cfg.max_steps == 81 + int((16.0 - now) / 0.5) < 128
    assert all(b <= a for a, b in zip(lrs, lrs[1:])), lrs  # the schedule's own lr, never rising


@pytest.mark.commit("3.3")
def test_on_time_passes_the_loader_through_once_per_micro_batch():
    clock, cfg = on_time(train_until=math.inf)
    cfg.grad_accum_steps = 3
    planned = []
    clock.plan = lambda step, now: planned.append(step)  # once per optimizer step, at its first micro-batch
    assert [next(clock) for _ in range(6)] == [("x", "y")] * 6
    assert planned == [0, 0]  # the fake trainer's step stays 0: two steps of three micro-batches


@pytest.mark.commit("3.3")
def test_rules_fix_the_val_split_and_keep_val_text_from_the_tokenizer():
    docs = load_documents("asv")
    limit = speedrun.train_prefix_bytes(TrainConfig(val_fraction=0.05))
    text = "\n\n".join(docs).encode()
    first_val = docs[19].encode()[:200]  # document 19 is the first val document at val_fraction 0.05
    assert first_val not in text[:limit] and first_val in text[:limit + 2 + len(first_val)]
    ok = dict(corpus="asv", max_bytes=None, val_fraction=0.05, tokenizer_bytes=limit)
    speedrun.check_rules(TrainConfig(**ok))
    for change in ({"val_fraction": 0.1}, {"max_bytes": 1_000_000}, {"tokenizer_bytes": None},
                   {"tokenizer_bytes": limit + 1}):
        with pytest.raises(ConfigError, match=next(iter(change))):
            speedrun.check_rules(TrainConfig(**{**ok, **change}))


@pytest.mark.commit("3.3")
def test_out_dir_is_emptied_only_when_a_speedrun_made_it(tmp_path):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not made by a speedrun"):
        speedrun.fresh_out_dir(other)
    assert (other / "notes.txt").read_text() == "keep me"
    old = tmp_path / "old_run"
    speedrun.fresh_out_dir(old)
    (old / "data").mkdir()  # an earlier run's cache
    speedrun.fresh_out_dir(old)
    assert sorted(p.name for p in old.iterdir()) == [speedrun.MARKER]


@pytest.mark.commit("3.3")
@pytest.mark.parametrize("args, message", [(["--budget_s=0"], "budget_s"), (["--budget_s=inf"], "budget_s"),
                                           (["--val_fraction=0.1"], "val split is fixed"),
                                           (["--lerning_rate=1"], "did you mean 'lr'")])
def test_a_bad_command_line_is_one_message_and_status_2(args, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    assert speedrun.main([*args, f"--out_dir={tmp_path / 'run'}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()  # refused before anything was written


@pytest.mark.slow
@pytest.mark.commit("3.3")
def test_a_tiny_speedrun_prints_a_finite_score_within_its_budget(tmp_path, monkeypatch, capsys):
    # In this process (torch is imported already: on a loaded box `import torch` alone can take 15 s of
    # wall time), with the clock started just before the call, as the command line starts it at process start.
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path / "unused"))  # the entry points it at out_dir
    monkeypatch.setenv("MNC_FUSED", "0")
    monkeypatch.chdir(REPO)  # the default config path is relative to the repository
    budget = 20.0
    out = tmp_path / "run"
    argv = [f"--budget_s={budget:g}", f"--out_dir={out}", "--vocab_size=300", "--model.n_layer=1",
            "--model.n_embd=32", "--model.n_head=2", "--batch_size=4", "--model.block_size=32", "--warmup_steps=2"]
    t0 = time.perf_counter()
    rc = speedrun.main(argv, t_start=t0)
    outside = time.perf_counter() - t0
    printed = capsys.readouterr().out
    assert rc == 0, printed[-2000:]
    line = re.search(r"speedrun: val bits per byte (\S+) on the whole val split \(([\d,]+) bytes\); wall (\S+) s, "
                     r"within", printed)
    assert line, printed[-2000:]
    bpb, val_bytes, wall = float(line[1]), int(line[2].replace(",", "")), float(line[3])
    assert math.isfinite(bpb) and 0 < bpb < 8  # 8 bits per byte: no better than a uniform guess over bytes
    assert val_bytes == 217_791  # every byte of the 3 val books is scored (the split is fixed)
    result = json.loads((out / speedrun.MARKER).read_text())
    assert result["status"] == "done" and result["steps"] >= 1 and result["wall_s"] == pytest.approx(wall, abs=0.05)
    # the stated margin: SLACK_S (1 s) past the budget, for the final evaluation's estimate being short
    assert wall <= budget + speedrun.SLACK_S and outside <= budget + speedrun.SLACK_S + 0.5  # + writing the result
