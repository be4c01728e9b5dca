"""SGD with momentum (commit 3.1) against torch.optim.SGD.

The learner check runs in float64 (any correct op order agrees with torch to ~1e-13 after 200 steps:
float64 round-off is ~1e-16 per op and SGD's dynamics amplify it far less than 1e3x here); the
float32 comparison at 1e-6 is a property of our reference, which follows torch's op order.
"""

import pytest
import torch

from phase3_optim.tests.helpers import batches, max_relative_diff, tiny_gpt, train, twin

CASES = [(False, 0.0), (True, 0.0), (False, 0.1)]


def run_against_torch(sgd, nesterov, dampening, dtype, steps=200):
    ours = tiny_gpt().to(dtype)
    ref = twin(ours)
    hp = dict(lr=0.05, momentum=0.9, dampening=dampening, weight_decay=0.01, nesterov=nesterov)
    train(ours, sgd.SGD(ours.parameters(), **hp), steps)
    train(ref, torch.optim.SGD(ref.parameters(), foreach=False, **hp), steps)
    return max_relative_diff(ours, ref)


@pytest.mark.commit("3.1", "sgd_update")
@pytest.mark.parametrize("nesterov, dampening", CASES)
def test_sgd_with_momentum_matches_torch_sgd_in_float64_over_200_steps(impl, nesterov, dampening):
    assert run_against_torch(impl("phase3_optim.sgd"), nesterov, dampening, torch.float64) < 1e-10


@pytest.mark.reference_only
@pytest.mark.commit("3.1", "sgd_update")
@pytest.mark.parametrize("nesterov, dampening", CASES)
def test_reference_sgd_follows_torchs_float32_op_order_over_200_steps(impl, nesterov, dampening):
    assert run_against_torch(impl("phase3_optim.sgd"), nesterov, dampening, torch.float32) < 1e-6


@pytest.mark.commit("3.1", "sgd_update")
def test_sgd_update_leaves_the_gradient_untouched(impl):
    sgd = impl("phase3_optim.sgd")
    p, g = torch.ones(3), torch.full((3,), 2.0)
    state = {}
    sgd.sgd_update(p, g, state, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.5, nesterov=False)
    assert torch.equal(g, torch.full((3,), 2.0)), "weight decay must not be added to p.grad in place"
    assert torch.allclose(p, torch.full((3,), 1 - 0.1 * (2.0 + 0.5)))


@pytest.mark.commit("3.1", "sgd_update")
def test_momentum_buffer_is_its_own_tensor_not_the_gradient(impl):
    """zero_grad(set_to_none=False) and gradient accumulation zero and refill p.grad in place: a buffer that
    aliases the gradient would be wiped (and p.grad scaled by momentum on the next step)."""
    sgd = impl("phase3_optim.sgd")
    p, g = torch.ones(3), torch.full((3,), 2.0)
    state = {}
    sgd.sgd_update(p, g, state, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False)
    g.zero_()  # what zero_grad(set_to_none=False) does before the next backward
    assert torch.equal(state["momentum_buffer"], torch.full((3,), 2.0)), "the buffer changed with p.grad"
    g.add_(1.0)
    sgd.sgd_update(p, g, state, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False)
    assert torch.equal(g, torch.ones(3)), "sgd_update modified the gradient"
    assert torch.allclose(state["momentum_buffer"], torch.full((3,), 0.9 * 2.0 + 1.0))


@pytest.mark.commit("3.1", "sgd_update")
def test_sgd_with_in_place_zero_grad_matches_torch(impl):
    """The training loop most code uses (zero_grad(set_to_none=False)): gradients are refilled in place."""
    sgd = impl("phase3_optim.sgd")
    ours = tiny_gpt().double()
    ref = twin(ours)
    opts = [sgd.SGD(ours.parameters(), lr=0.05, momentum=0.9),
            torch.optim.SGD(ref.parameters(), lr=0.05, momentum=0.9, foreach=False)]
    for x, y in batches(8):
        for model, opt in zip((ours, ref), opts):
            opt.zero_grad(set_to_none=False)
            model(x, y)[1].backward()
            opt.step()
    assert max_relative_diff(ours, ref) < 1e-10
