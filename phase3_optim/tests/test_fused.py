"""The fused optimizer step (fused.py): our update compiled by torch.compile equals the readable one.

Kept cheap: each test compiles one small graph (a few tensors of a few shapes); compilation is
most of the time (seconds on CPU). Tolerance: float32 round-off. The compiled kernel evaluates the
same formulas, but Inductor may contract a*b + c into one fused multiply-add and reorder a division,
so each of the ~10 float32 operations of an update can round differently (<= 1 ulp each): the
weights (~1) agree to ~1e-6 absolute after a few steps, the moments to ~1e-6 of their largest entry.
"""

import pytest
import torch

from phase3_optim.fused import can_compile

needs_compiler = pytest.mark.skipif(not can_compile("cpu"), reason="torch.compile on CPU needs a C++ compiler")


def params_and_grads(seed: int, shapes, steps: int):
    g = torch.Generator().manual_seed(seed)
    params = [torch.randn(s, generator=g) for s in shapes]
    grads = [[torch.randn(s, generator=g) * 1e-2 for s in shapes] for _ in range(steps)]
    return params, grads


@pytest.mark.commit("3.1")
@needs_compiler
@pytest.mark.parametrize("cls, decay", [("AdamW", 0.1), ("Adam", 0.01)])
def test_fused_adam_equals_the_readable_step_while_lr_changes(cls, decay):
    """Three steps with a different lr each (as a schedule does), over two param groups with different
    lr and weight decay that the fused path steps in ONE compiled call (each tensor reads its own group's
    row of the scalar table): the compiled update stays equal to adam_update's, group by group."""
    from phase3_optim import adam, fused
    shapes = [(16, 8), (8,), (4, 8)]
    start, grads = params_and_grads(0, shapes, 3)
    runs = {}
    for use_fused in (True, False):
        ps = [torch.nn.Parameter(p.clone()) for p in start]
        groups = [{"params": ps[:2], "lr": 0.1, "weight_decay": decay},
                  {"params": ps[2:], "lr": 0.03, "weight_decay": 0.0, "betas": (0.8, 0.99)}]
        opt = getattr(adam, cls)(groups, lr=0.1, betas=(0.9, 0.95), foreach=False, fused=use_fused)
        for k, step_grads in enumerate(grads):
            for group, base in zip(opt.param_groups, (0.1, 0.03)):
                group["lr"] = base / (k + 1)
            for p, gr in zip(ps, step_grads):
                p.grad = gr.clone()
            opt.step()
        runs[use_fused] = (ps, opt)
    assert not fused._broken, "the compiled path fell back to the readable one: nothing compiled was tested"
    (fused_ps, fused_opt), (ref_ps, ref_opt) = runs[True], runs[False]
    assert "fused" in fused_opt.describe() and "fused" not in ref_opt.describe()
    for a, b in zip(fused_ps, ref_ps):
        torch.testing.assert_close(a.detach(), b.detach(), rtol=0, atol=1e-6)
        for key in ("exp_avg", "exp_avg_sq"):
            ref = ref_opt.state[b][key]  # an entry that nearly cancels is compared on the tensor's scale
            torch.testing.assert_close(fused_opt.state[a][key], ref, rtol=1e-6, atol=1e-6 * ref.abs().max().item())
        assert fused_opt.state[a]["step"] == ref_opt.state[b]["step"] == 3


@pytest.mark.commit("3.2")
@needs_compiler
def test_muon_adamw_with_compiled_step_equals_the_eager_one():
    """Muon's compiled path (muon_momentum, newton_schulz and muon_apply compiled, fp32 NS on CPU) equals the
    eager muon_update up to float32 round-off, amplified at most ~a^5 ~ 490x by NS on the
    smallest singular values (<= 1e-4 here). Two same-shape matrices (one NS batch), a wide one (its own
    bucket), weight decay on, and a new lr on the second step (the scalars are a table, not constants)."""
    from phase3_optim import fused
    from phase3_optim.muon import MuonAdamW
    start, grads = params_and_grads(1, [(12, 8), (12, 8), (8, 12), (8,)], 2)
    runs = {}
    for use_fused in (True, False):
        ps = [torch.nn.Parameter(p.clone()) for p in start]
        opt = MuonAdamW([{"params": ps[:3], "use_muon": True, "lr": 0.02, "weight_decay": 0.1, "fused": use_fused,
                          "batched": True},
                         {"params": ps[3:], "use_muon": False, "lr": 0.01, "fused": use_fused}])
        for k, step_grads in enumerate(grads):
            opt.param_groups[0]["lr"] = 0.02 / (k + 1)
            for p, gr in zip(ps, step_grads):
                p.grad = gr.clone()
            opt.step()
        runs[use_fused] = (ps, opt.describe())
    assert not fused._broken, "the compiled path fell back to the eager one: nothing compiled was tested"
    assert "compiled" in runs[True][1] and "eager" in runs[False][1]
    for a, b in zip(runs[True][0], runs[False][0]):
        torch.testing.assert_close(a.detach(), b.detach(), rtol=0, atol=1e-4)


@pytest.mark.commit("3.1")
def test_fused_switch_resolves_to_the_fastest_available_path(monkeypatch):
    from phase3_optim import build_optimizer
    from phase3_optim.fused import FUSED_ENV, resolve_fused
    from phase3_optim.tests.helpers import tiny_gpt
    cpu = torch.device("cpu")
    assert resolve_fused(False, cpu) is False
    monkeypatch.setenv(FUSED_ENV, "0")
    assert resolve_fused(None, cpu) is False
    assert "foreach" in build_optimizer(tiny_gpt(), "adamw", 1e-3, 0.1, steps=10**9).describe()
    monkeypatch.delenv(FUSED_ENV)
    assert resolve_fused(None, cpu) is can_compile("cpu")
    assert resolve_fused(None, torch.device("meta")) is False, "no compiler for this device: the unfused path"
    with pytest.raises(RuntimeError, match="fused=None"):
        resolve_fused(True, torch.device("meta"))
    described = build_optimizer(tiny_gpt(), "adamw", 1e-3, 0.1, fused=True if can_compile("cpu") else False)
    assert ("fused: torch.compile" if can_compile("cpu") else "foreach") in described.describe()


@pytest.mark.commit("3.1")
@pytest.mark.parametrize("n_params, steps, expected", [
    (920_000, 1200, False),       # the CPU demo: saves ~1 s, compiling costs ~20 s
    (920_000, None, False),       # run length unknown: 1000 steps assumed
    (52_000_000, 1000, True),     # 52M params: ~50 s saved over 1000 steps
    (52_000_000, 100, False),     # ... but not over 100 steps
    (1_000_000, 100_000, True),   # a small model pays back on a long enough run
])
def test_fused_none_on_cpu_compiles_only_when_the_run_pays_the_compile_back(monkeypatch, n_params, steps, expected):
    """The rule (fused.expected_fused): n_params * steps * 1e-9 s saved per parameter-step > 20 s of compiling.
    Decisions only (no timing): cases far from the boundary, so a re-measured constant moves none of them."""
    from phase3_optim import fused
    monkeypatch.setattr(fused, "can_compile", lambda device_type: device_type in ("cpu", "cuda"))
    monkeypatch.delenv(fused.FUSED_ENV, raising=False)
    decision, why = fused.expected_fused(torch.device("cpu"), n_params, steps)
    assert decision is expected, why
    assert why.startswith("fused" if expected else "not fused") and "compiling" in why, why
    monkeypatch.setenv(fused.FUSED_ENV, "0")
    assert fused.expected_fused(torch.device("cpu"), n_params, steps) == (False, f"not fused: {fused.FUSED_ENV}=0")
    monkeypatch.delenv(fused.FUSED_ENV)
    assert fused.expected_fused(torch.device("cuda"), n_params, steps)[0] is True, "accelerators: always compile"
    assert fused.expected_fused(torch.device("meta"), n_params, steps)[0] is False, "no compiler: never"


@pytest.mark.commit("3.1")
def test_build_optimizer_default_names_the_path_and_why(monkeypatch):
    """fused=None: build_optimizer applies the rule to the model's size and the run's steps, each group gets the
    concrete decision, and describe() (the trainer's log line) says which path runs and why."""
    from phase3_optim import build_optimizer, fused
    from phase3_optim.tests.helpers import tiny_gpt
    monkeypatch.setattr(fused, "can_compile", lambda device_type: device_type == "cpu")
    monkeypatch.delenv(fused.FUSED_ENV, raising=False)
    model = tiny_gpt()
    n = sum(p.numel() for p in model.parameters())
    short = build_optimizer(model, "adamw", 1e-3, 0.1, steps=10)
    assert all(g["fused"] is False for g in short.param_groups)
    assert "foreach; not fused" in short.describe() and "x 10 steps" in short.describe()
    long_steps = int(fused.CPU_COMPILE_S / fused.CPU_SAVED_S_PER_PARAM_STEP / n) * 2  # twice the break-even
    long = build_optimizer(model, "muon", 1e-3, 0.1, steps=long_steps)
    assert all(g["fused"] is True for g in long.param_groups)
    assert "NS float32 compiled" in long.describe() and "fused: torch.compile; fused:" in long.describe()
    assert build_optimizer(model, "adamw", 1e-3, 0.1, fused=False).path_reason is None, "forced: no rule applied"
