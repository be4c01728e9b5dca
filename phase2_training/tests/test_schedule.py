"""Commit 2.3: learning-rate schedules against their closed forms."""

import math

import pytest
import torch


@pytest.mark.commit("2.3", "warmup_cosine")
def test_warmup_rises_linearly_from_the_first_step(impl):
    s = impl("phase2_training.schedule")
    lrs = [s.warmup_cosine(t, 1.0, 4, 20) for t in range(4)]
    assert lrs == pytest.approx([0.25, 0.5, 0.75, 1.0])


@pytest.mark.commit("2.3", "warmup_cosine")
def test_cosine_hits_max_mid_and_min_at_closed_form_points(impl):
    s = impl("phase2_training.schedule")
    kw = dict(max_lr=3e-3, warmup_steps=10, total_steps=110, min_lr=3e-4)
    assert s.warmup_cosine(10, **kw) == pytest.approx(3e-3)              # end of warmup: the peak
    assert s.warmup_cosine(60, **kw) == pytest.approx((3e-3 + 3e-4) / 2)  # halfway through the decay
    t = 35                                                                 # a quarter: (1 + cos(pi/4)) / 2
    assert s.warmup_cosine(t, **kw) == pytest.approx(3e-4 + 2.7e-3 * (1 + math.cos(math.pi / 4)) / 2)
    assert s.warmup_cosine(110, **kw) == pytest.approx(3e-4)
    assert s.warmup_cosine(500, **kw) == pytest.approx(3e-4)              # past the end: stays at the floor


@pytest.mark.commit("2.3", "warmup_cosine")
@pytest.mark.parametrize("warmup", [0, 7, 20])
def test_cosine_is_min_lr_at_total_steps_and_after_even_when_warmup_fills_the_run(impl, warmup):
    # the docstring's "min_lr at total_steps (min_lr after)", including warmup_steps == total_steps,
    # where no decay step exists and total_steps must not return max_lr
    s = impl("phase2_training.schedule")
    for step in (20, 21, 40):
        assert s.warmup_cosine(step, 1.0, warmup, 20, min_lr=0.1) == pytest.approx(0.1), (warmup, step)


@pytest.mark.commit("2.3", "warmup_cosine")
def test_cosine_without_warmup_starts_at_max_and_decreases(impl):
    s = impl("phase2_training.schedule")
    lrs = [s.warmup_cosine(t, 1.0, 0, 50) for t in range(51)]
    assert lrs[0] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(lrs, lrs[1:]))


@pytest.mark.commit("2.3", "warmup_stable_decay")
def test_wsd_is_flat_then_decays_linearly_to_min(impl):
    s = impl("phase2_training.schedule")
    kw = dict(max_lr=1.0, warmup_steps=10, total_steps=100, decay_steps=20, min_lr=0.1)
    assert s.warmup_stable_decay(4, **kw) == pytest.approx(0.5)     # warmup
    assert s.warmup_stable_decay(10, **kw) == pytest.approx(1.0)
    assert s.warmup_stable_decay(80, **kw) == pytest.approx(1.0)    # last stable step
    assert s.warmup_stable_decay(90, **kw) == pytest.approx(0.55)   # halfway down: (1 + 0.1) / 2
    assert s.warmup_stable_decay(100, **kw) == pytest.approx(0.1)
    assert s.warmup_stable_decay(150, **kw) == pytest.approx(0.1)
    no_decay = {**kw, "decay_steps": 0}  # flat to the end, then min_lr (no ZeroDivisionError past the end)
    assert s.warmup_stable_decay(99, **no_decay) == pytest.approx(1.0)
    assert s.warmup_stable_decay(150, **no_decay) == pytest.approx(0.1)


@pytest.mark.commit("2.3")
def test_schedules_reject_impossible_arguments():
    from phase2_training.schedule import lr_multiplier, warmup_cosine, warmup_stable_decay
    with pytest.raises(ValueError, match="warmup_steps"):
        warmup_cosine(0, 1.0, 20, 10)
    with pytest.raises(ValueError, match="overlap"):
        warmup_stable_decay(0, 1.0, 50, 100, 60)
    with pytest.raises(ValueError, match="choose one of"):
        lr_multiplier(0, "linear", 0, 10)


@pytest.mark.commit("2.3")
def test_lr_multiplier_scales_every_group_from_its_initial_lr():
    from phase2_training.schedule import lr_multiplier, set_lr
    p, q = torch.nn.Parameter(torch.ones(1)), torch.nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([{"params": [p], "lr": 0.1}, {"params": [q], "lr": 0.02}])
    for step in range(3):
        set_lr(opt, lr_multiplier(step, "constant", 2, 10))
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.1, 0.02])
    set_lr(opt, lr_multiplier(0, "constant", 2, 10))
    assert [g["lr"] for g in opt.param_groups] == pytest.approx([0.05, 0.01])
    assert lr_multiplier(99, "wsd", 0, 100, min_lr_frac=0.0, decay_frac=0.1) == pytest.approx(0.1)
