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
    """Three steps with a different lr each (as a schedule does): the hyper-parameters are tensors, so
    nothing recompiles, and the compiled update stays equal to adam_update's."""
    from phase3_optim import adam
    shapes = [(16, 8), (8,)]
    start, grads = params_and_grads(0, shapes, 3)
    runs = {}
    for fused in (True, False):
        ps = [torch.nn.Parameter(p.clone()) for p in start]
        opt = getattr(adam, cls)(ps, lr=0.1, betas=(0.9, 0.95), weight_decay=decay, foreach=False, fused=fused)
        for k, step_grads in enumerate(grads):
            opt.param_groups[0]["lr"] = 0.1 / (k + 1)
            for p, gr in zip(ps, step_grads):
                p.grad = gr.clone()
            opt.step()
        runs[fused] = (ps, opt)
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
def test_muon_adamw_with_compiled_newton_schulz_equals_the_eager_one():
    """Muon's compiled path is our own newton_schulz compiled (fp32 on CPU): equal to the eager call up to
    float32 round-off, amplified at most ~a^5 ~ 490x by NS on the smallest singular values (<= 1e-4 here)."""
    from phase3_optim.muon import MuonAdamW
    start, grads = params_and_grads(1, [(12, 8), (12, 8), (8,)], 2)
    runs = {}
    for fused in (True, False):
        ps = [torch.nn.Parameter(p.clone()) for p in start]
        opt = MuonAdamW([{"params": ps[:2], "use_muon": True, "lr": 0.02, "fused": fused},
                         {"params": ps[2:], "use_muon": False, "lr": 0.01, "fused": fused}])
        for step_grads in grads:
            for p, gr in zip(ps, step_grads):
                p.grad = gr.clone()
            opt.step()
        runs[fused] = (ps, opt.describe())
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
    assert "foreach" in build_optimizer(tiny_gpt(), "adamw", 1e-3, 0.1).describe()
    monkeypatch.delenv(FUSED_ENV)
    assert resolve_fused(None, cpu) is can_compile("cpu")
    assert resolve_fused(None, torch.device("meta")) is False, "no compiler for this device: the unfused path"
    with pytest.raises(RuntimeError, match="fused=None"):
        resolve_fused(True, torch.device("meta"))
    expected = "fused" if can_compile("cpu") else "foreach"
    assert expected in build_optimizer(tiny_gpt(), "adamw", 1e-3, 0.1).describe()
