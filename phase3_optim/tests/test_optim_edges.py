"""Commits 3.1-3.2: build_optimizer at its edges — per-kind lr scales reaching the Muon half.

build_optimizer(model, "muon", ...) rewrites the hidden-matrix groups for Muon and folds Muon's own
learning rate (muon_lr) into each group's "lr_scale" so that a schedule (phase 2's set_lr) keeps
the ratio. The per-kind scale the caller asked for (lr_scales={"matrix": ...}) must survive that
rewrite. Oracles: the lrs written out by hand, and the linearity of one step in lr (from zero
momentum and without weight decay, Muon's and AdamW's first update is lr times a direction that
does not depend on lr).
"""

import copy

import pytest
import torch

from phase2_training.schedule import set_lr
from phase3_optim import build_optimizer
from phase3_optim.tests.helpers import batches, tiny_gpt

LR, MUON_LR = 1e-3, 2e-2
SCALES = {"matrix": 0.5, "embedding": 4.0, "vector": 2.0}


@pytest.mark.commit("3.2")
@pytest.mark.parametrize("muon_lr", [None, MUON_LR], ids=["muon-lr-is-lr", "own-muon-lr"])
def test_build_muon_applies_each_kinds_lr_scale_to_both_halves(muon_lr):
    opt = build_optimizer(tiny_gpt("llama"), "muon", lr=LR, weight_decay=0.1, lr_scales=SCALES,
                          muon_lr=muon_lr, fused=False)
    by_kind = {g["kind"]: g for g in opt.param_groups}
    base = {"matrix": muon_lr or LR, "head": LR, "embedding": LR, "vector": LR}  # head: unlisted, scale 1
    expected = {kind: base[kind] * SCALES.get(kind, 1.0) for kind in by_kind}
    assert {k: g["lr"] for k, g in by_kind.items()} == pytest.approx(expected, rel=1e-12)
    assert by_kind["matrix"]["use_muon"] and not by_kind["embedding"]["use_muon"]
    # A schedule sets lr_t from each group's initial lr: every ratio, Muon's included, survives it.
    set_lr(opt, 0.25)
    assert {k: g["lr"] for k, g in by_kind.items()} == pytest.approx(
        {k: 0.25 * v for k, v in expected.items()}, rel=1e-12)


@pytest.mark.commit("3.2")
def test_halving_the_matrix_lr_scale_halves_the_first_muon_step_and_leaves_the_rest_alone():
    model = tiny_gpt("llama").double()  # float64: the deltas below are exact to ~1e-16 relative
    x, y = batches(1)[0]
    deltas = []
    for scales in ({}, {"matrix": 0.5}):
        m = copy.deepcopy(model)
        # weight_decay=0: the first step is then exactly lr_group * direction(grad) for every tensor
        opt = build_optimizer(m, "muon", lr=1e-2, weight_decay=0.0, lr_scales=scales, fused=False,
                              ns_dtype=torch.float64)
        m(x, y)[1].backward()
        opt.step()
        deltas.append({n: (p - model.get_parameter(n)).detach() for n, p in m.named_parameters()})
    full, half = deltas
    matrices = {n for n, p in model.named_parameters() if p.ndim == 2 and "wte" not in n and "lm_head" not in n}
    assert matrices, "the llama tiny GPT has hidden matrices"
    for name in full:
        expected = 0.5 * full[name] if name in matrices else full[name]
        assert full[name].abs().max() > 0, f"{name} did not move: the comparison would be empty"
        # the same float64 ops on the same inputs, then one multiply by lr: ~1e-16 relative, 1e-12 is slack
        torch.testing.assert_close(half[name], expected, rtol=1e-9, atol=1e-12, msg=lambda m, n=name: f"{n}: {m}")
