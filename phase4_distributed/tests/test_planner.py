"""Commit 4.3: the memory planner, the strategy switch, and the 500M example config.

Oracles: closed forms for bytes per parameter (4 + 4 + 8 per replica), a real model's
parameter count for the meta-device count, torch's own module types after wrapping.
"""

import math
from pathlib import Path

import pytest
import torch

from phase4_distributed.dist import run_local
from phase4_distributed.planner import GIB, ModelShape, activation_bytes, format_plan, plan_memory, recommend
from phase4_distributed.tests._common import WORLD, tiny_gpt

REPO = Path(__file__).resolve().parents[2]
SHAPE = ModelShape(n_params=1_000_000_000, n_layer=24, n_embd=2048, vocab_size=32768, block_params=50_000_000)


@pytest.mark.commit("4.3")
def test_plan_matches_the_bytes_per_parameter_of_each_strategy():
    plans = {p.strategy: p for p in plan_memory(SHAPE, 8, 1024, world_size=8, gpu_bytes=80 * GIB)}
    n = SHAPE.n_params
    assert (plans["ddp"].weights, plans["ddp"].grads, plans["ddp"].optimizer) == (4 * n, 4 * n, 8 * n)
    assert plans["zero1"].optimizer == 8 * n // 8 and plans["zero1"].weights == 4 * n
    assert (plans["fsdp"].weights, plans["fsdp"].grads, plans["fsdp"].optimizer) == (n // 2, n // 2, n)
    assert len({p.activations for p in plans.values()}) == 1  # activations do not depend on the strategy
    assert plans["fsdp"].total < plans["zero1"].total < plans["ddp"].total
    assert "single" not in plans  # one process cannot use eight GPUs


@pytest.mark.commit("4.3")
def test_planner_recommends_the_simplest_strategy_that_fits():
    def choose(gib):
        return recommend(plan_memory(SHAPE, 8, 1024, world_size=8, gpu_bytes=gib * GIB))
    assert choose(200) == "ddp"
    ddp_total = {p.strategy: p.total for p in plan_memory(SHAPE, 8, 1024, 8, 1e15)}
    assert choose((ddp_total["ddp"] - 1) / GIB) == "zero1"
    assert choose((ddp_total["zero1"] - 1) / GIB) == "fsdp"
    assert choose(1) is None
    assert recommend(plan_memory(SHAPE, 1, 128, world_size=1, gpu_bytes=200 * GIB)) == "single"
    assert "nothing fits" in format_plan(SHAPE, plan_memory(SHAPE, 8, 1024, 8, GIB), 8, 1024, 8, GIB)


@pytest.mark.commit("4.3")
def test_activation_estimate_is_linear_in_tokens_and_halves_in_16_bit_layers():
    one = activation_bytes(SHAPE, 1, 1024)
    assert activation_bytes(SHAPE, 4, 1024) == 4 * one
    logits = 1024 * SHAPE.vocab_size * 12
    assert activation_bytes(SHAPE, 1, 1024, "fp32") - logits == 2 * (one - logits)


@pytest.mark.commit("4.3")
def test_meta_device_parameter_count_equals_the_real_model():
    model = tiny_gpt()
    shape = ModelShape.from_config(model.config)
    assert shape.n_params == sum(p.numel() for p in model.parameters())
    assert shape.block_params == sum(p.numel() for p in model.transformer.h[0].parameters())


@pytest.mark.commit("4.3")
def test_gpt_500m_config_builds_on_the_meta_device_with_about_500m_parameters():
    from phase2_training.config import load_config
    from phase4_distributed.strategy import memory_table
    cfg = load_config(REPO / "examples/gpt_500m.py")
    assert cfg.dtype == "bf16" and cfg.compile
    shape = ModelShape.from_config(cfg.model_config(cfg.vocab_size))
    assert 450e6 <= shape.n_params <= 550e6
    table = memory_table(cfg.model_config(cfg.vocab_size), cfg.batch_size, cfg.block_size, 8, 24.0)
    assert "-> use fsdp" in table  # 24 GB cards: only full sharding fits


@pytest.mark.commit("4.3")
def test_choose_strategy_says_what_runs_and_why():
    from phase4_distributed.dist import DistContext
    from phase4_distributed.strategy import choose_strategy
    model, one = tiny_gpt(), DistContext()
    for asked in ("single", "ddp", "zero1", "fsdp", "auto"):  # one process: "single", whatever was asked
        assert choose_strategy(asked, model, one, 2, 16)[0] == "single"
    assert "needs torchrun" in choose_strategy("fsdp", model, one, 2, 16)[1]
    two = DistContext(rank=0, world_size=2)
    assert choose_strategy("zero1", model, two, 2, 16) == ("zero1", "as asked")
    assert choose_strategy("auto", model, two, 2, 16)[0] == "ddp"  # CPU: no GPU memory to plan with
    with pytest.raises(ValueError, match="unsynchronised"):
        choose_strategy("single", model, two, 2, 16)
    with pytest.raises(ValueError, match="choose one of"):
        choose_strategy("zero3", model, one, 2, 16)


@pytest.mark.commit("4.3")
def test_wrap_model_gives_ddp_or_fsdp():
    from torch.nn.parallel import DistributedDataParallel

    from phase4_distributed.strategy import wrap_model

    def worker(ctx):
        ddp = wrap_model(tiny_gpt(), "ddp", ctx)
        fsdp = wrap_model(tiny_gpt(), "fsdp", ctx)
        return isinstance(ddp, DistributedDataParallel), type(fsdp.lm_head.weight).__name__

    assert run_local(worker, WORLD) == [(True, "DTensor")] * WORLD


@pytest.mark.commit("4.3")
def test_scaling_worker_reports_throughput_and_communication(monkeypatch, tmp_path):
    from phase4_distributed import scaling
    monkeypatch.setattr(scaling, "CPU_DEFAULTS", dict(vocab_size=64, block_size=16, n_layer=1, n_head=2, n_embd=32,
                                                      batch_size=2, grad_accum_steps=2, lineage="gpt2",
                                                      dtype="fp32"))
    out = tmp_path / "w2.json"
    args = scaling.parse_args(["--worker", "--json", str(out), "--steps", "2", "--warmup", "1", "--no-pin"])
    run_local(lambda ctx: scaling.worker(args), WORLD)
    import json
    r = json.loads(out.read_text())
    assert r["world_size"] == WORLD and r["tokens_per_step"] == 2 * 16 * 2 * WORLD
    assert r["tokens_per_s"] > 0 and r["comm_ms"] > 0
    results = [dict(r, world_size=1, tokens_per_s=100.0, backend=None), dict(r, tokens_per_s=190.0)]
    assert scaling.efficiency(results) == [1.0, 0.95]
    text = scaling.report(results, tmp_path)
    assert "0.950" in text and (tmp_path / "scaling.png").exists() and (tmp_path / "scaling.json").exists()


@pytest.mark.commit("4.3")
@pytest.mark.slow
def test_scaling_cli_runs_under_torchrun_for_one_and_two_processes(tmp_path):
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-m", "phase4_distributed.scaling", "--nproc", "1,2", "--steps", "2",
                           "--warmup", "1", "--out", str(tmp_path), "--timeout", "240"],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "efficiency" in proc.stdout and (tmp_path / "scaling.png").exists()


@pytest.mark.commit("4.3")
@pytest.mark.slow
def test_gpt_500m_takes_one_real_step_on_the_cpu():
    from phase2_training.config import load_config
    from phase4_distributed.planner import measure_cpu_step
    cfg = load_config(REPO / "examples/gpt_500m.py")
    r = measure_cpu_step(cfg.model_config(cfg.vocab_size), micro_batch=1, block_size=16)
    assert math.isfinite(r["loss"]) and abs(r["loss"] - math.log(cfg.vocab_size)) < 1.0
    assert r["adam_state_bytes"] == 8 * r["n_params"]
    assert torch.get_num_threads() >= 1
