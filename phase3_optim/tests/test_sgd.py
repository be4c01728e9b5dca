"""SGD with momentum (commit 3.1) against torch.optim.SGD."""

import pytest
import torch

from phase3_optim.tests.helpers import max_relative_diff, tiny_gpt, train, twin


@pytest.mark.commit("3.1", "sgd_update")
@pytest.mark.parametrize("nesterov, dampening", [(False, 0.0), (True, 0.0), (False, 0.1)])
def test_sgd_with_momentum_matches_torch_sgd_over_200_steps(impl, nesterov, dampening):
    sgd = impl("phase3_optim.sgd")
    ours, ref = tiny_gpt(), None
    ref = twin(ours)
    hp = dict(lr=0.05, momentum=0.9, dampening=dampening, weight_decay=0.01, nesterov=nesterov)
    train(ours, sgd.SGD(ours.parameters(), **hp), 200)
    train(ref, torch.optim.SGD(ref.parameters(), foreach=False, **hp), 200)
    assert max_relative_diff(ours, ref) < 1e-6


@pytest.mark.commit("3.1", "sgd_update")
def test_sgd_update_leaves_the_gradient_untouched(impl):
    sgd = impl("phase3_optim.sgd")
    p, g = torch.ones(3), torch.full((3,), 2.0)
    state = {}
    sgd.sgd_update(p, g, state, lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.5, nesterov=False)
    assert torch.equal(g, torch.full((3,), 2.0)), "weight decay must not be added to p.grad in place"
    assert torch.allclose(p, torch.full((3,), 1 - 0.1 * (2.0 + 0.5)))
