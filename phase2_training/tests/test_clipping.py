"""Commit 2.3: global-norm gradient clipping equals torch.nn.utils.clip_grad_norm_."""

import math

import pytest
import torch


def _model_with_grads(scale: float):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    loss = scale * model(torch.randn(5, 8)).pow(2).sum()
    loss.backward()
    return model


@pytest.mark.commit("2.3", "clip_grad_norm")
@pytest.mark.parametrize("scale,max_norm", [(10.0, 1.0), (1e-3, 1.0), (1.0, 0.5)])
def test_clip_grad_norm_equals_torch(impl, scale, max_norm):
    clipping = impl("phase2_training.clipping")
    ours, theirs = _model_with_grads(scale), _model_with_grads(scale)
    norm = clipping.clip_grad_norm(ours.parameters(), max_norm)
    expected = torch.nn.utils.clip_grad_norm_(theirs.parameters(), max_norm)
    torch.testing.assert_close(torch.as_tensor(norm).float(), expected.float(), msg=lambda m: (
        f"returned norm {float(norm):.6g}, torch's {float(expected):.6g}: return the global norm of all gradients "
        f"as they were BEFORE clipping (that is what the logs must show)\n{m}"))
    for a, b in zip(ours.parameters(), theirs.parameters()):
        torch.testing.assert_close(a.grad, b.grad, msg=lambda m: (
            "the clipped gradients differ from torch.nn.utils.clip_grad_norm_'s: every gradient is scaled by "
            f"ONE factor, min(1, max_norm / (global norm + eps)), computed from all of them together\n{m}"))


@pytest.mark.commit("2.3", "clip_grad_norm")
def test_clipping_keeps_direction_and_caps_global_norm(impl):
    clipping = impl("phase2_training.clipping")
    model = _model_with_grads(100.0)
    before = torch.cat([p.grad.flatten() for p in model.parameters()])
    clipping.clip_grad_norm(model.parameters(), 1.0)
    after = torch.cat([p.grad.flatten() for p in model.parameters()])
    assert after.norm().item() == pytest.approx(1.0, rel=1e-4)
    torch.testing.assert_close(after / after.norm(), before / before.norm())


@pytest.mark.commit("2.3", "clip_grad_norm")
def test_clipping_skips_parameters_without_gradients(impl):
    clipping = impl("phase2_training.clipping")
    a, b = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(2))
    a.grad = torch.tensor([3.0, 0.0, 4.0])        # norm 5; b has no .grad
    norm = clipping.clip_grad_norm([a, b], 1.0)
    assert float(norm) == pytest.approx(5.0)
    torch.testing.assert_close(a.grad, torch.tensor([0.6, 0.0, 0.8]), atol=1e-5, rtol=1e-5)
    assert b.grad is None


@pytest.mark.commit("2.3", "clip_grad_norm")
def test_no_gradients_give_norm_zero_and_empty_ones_count_zero(impl):
    clipping = impl("phase2_training.clipping")
    a, empty = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(0))
    assert float(clipping.clip_grad_norm([a, empty], 1.0)) == 0.0   # no .grad anywhere: norm 0, nothing to scale
    a.grad, empty.grad = torch.tensor([6.0, 8.0]), torch.ones(0)
    assert float(clipping.clip_grad_norm([a, empty], 100.0)) == pytest.approx(10.0)
    torch.testing.assert_close(a.grad, torch.tensor([6.0, 8.0]))  # below max_norm: unchanged (factor 1)
    a.grad = torch.tensor([6.0, 8.0])
    assert float(clipping.clip_grad_norm(a, 5.0)) == pytest.approx(10.0)  # one tensor, not a list
    torch.testing.assert_close(a.grad, torch.tensor([3.0, 4.0]), atol=1e-5, rtol=1e-5)


@pytest.mark.commit("2.3", "clip_grad_norm")
def test_a_non_finite_gradient_gives_a_non_finite_norm(impl):
    """The NaN guard (step.py) reads the returned norm: an inf or nan gradient must not be hidden."""
    clipping = impl("phase2_training.clipping")
    for bad in (float("inf"), float("nan")):
        a, b = torch.nn.Parameter(torch.ones(2)), torch.nn.Parameter(torch.ones(2))
        a.grad, b.grad = torch.tensor([1.0, bad]), torch.tensor([3.0, 4.0])
        norm = float(clipping.clip_grad_norm([a, b], 1.0))
        assert not math.isfinite(norm), f"a gradient holding {bad} gave the finite norm {norm}: the NaN guard is blind"
