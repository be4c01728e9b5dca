"""Adam and AdamW from scratch (commit 3.1) against torch.optim.Adam / AdamW on a real GPT."""

import copy

import pytest
import torch

from phase3_optim.tests.helpers import max_relative_diff, tiny_gpt, train, twin


def run_against_torch(adam, cls: str, lineage: str, steps: int, foreach: bool, weight_decay: float) -> float:
    ours = tiny_gpt(lineage)
    ref = twin(ours)
    hp = dict(lr=3e-3, betas=(0.9, 0.95), eps=1e-8, weight_decay=weight_decay, foreach=foreach)
    train(ours, getattr(adam, cls)(ours.parameters(), **hp), steps)
    train(ref, getattr(torch.optim, cls)(ref.parameters(), **hp), steps)
    return max_relative_diff(ours, ref)


@pytest.mark.commit("3.1", "adam_update")
def test_adam_matches_torch_adam_over_200_steps_on_a_gpt(impl):
    # weight_decay on Adam is the L2 form, through the gradient
    assert run_against_torch(impl("phase3_optim.adam"), "Adam", "llama", 200, False, 0.01) < 1e-6


@pytest.mark.commit("3.1", "weight_decay")
def test_adamw_matches_torch_adamw_over_200_steps_on_a_gpt(impl):
    assert run_against_torch(impl("phase3_optim.adam"), "AdamW", "gpt2", 200, False, 0.1) < 1e-6


@pytest.mark.slow
@pytest.mark.commit("3.1", "adam_update")
@pytest.mark.parametrize("cls, lineage, weight_decay", [("Adam", "llama", 0.01), ("AdamW", "gpt2", 0.1)])
def test_adam_and_adamw_match_torch_over_1000_steps_on_a_gpt(impl, cls, lineage, weight_decay):
    assert run_against_torch(impl("phase3_optim.adam"), cls, lineage, 1000, False, weight_decay) < 1e-6


@pytest.mark.commit("3.1", "adam_foreach")
@pytest.mark.parametrize("cls, decay", [("AdamW", 0.1), ("Adam", 0.01)])
def test_foreach_path_matches_torch_foreach_over_300_steps(impl, cls, decay):
    adam = impl("phase3_optim.adam")
    assert run_against_torch(adam, cls, "gpt2", 300, True, decay) < 1e-6


@pytest.mark.commit("3.1", "adam_update")
def test_first_adam_step_moves_every_weight_by_about_lr(impl):
    """Bias correction: m_hat = g and v_hat = g^2 at t=1, so the first step is lr * sign(g)."""
    adam = impl("phase3_optim.adam")
    p = torch.nn.Parameter(torch.zeros(5))
    p.grad = torch.tensor([1e-3, -2.0, 5.0, -1e-2, 0.3])
    adam.Adam([p], lr=0.1, foreach=False).step()
    assert torch.allclose(p.detach(), -0.1 * p.grad.sign(), rtol=1e-4)


@pytest.mark.commit("3.1", "weight_decay")
def test_adamw_decay_is_decoupled_from_the_gradient(impl):
    """With a zero gradient Adam's step is zero, so AdamW must shrink p by exactly (1 - lr*wd) per step,
    whatever the gradient statistics; Adam's L2 goes through the gradient and moves p by ~lr instead."""
    adam = impl("phase3_optim.adam")
    p = torch.nn.Parameter(torch.full((4,), 2.0))
    opt = adam.AdamW([p], lr=0.1, weight_decay=0.5, foreach=False)
    for _ in range(3):
        p.grad = torch.zeros(4)
        opt.step()
    assert torch.allclose(p.detach(), torch.full((4,), 2.0 * (1 - 0.05) ** 3))
    q = torch.nn.Parameter(torch.full((4,), 2.0))
    q.grad = torch.zeros(4)
    adam.Adam([q], lr=0.1, weight_decay=0.5, foreach=False).step()
    assert torch.allclose(q.detach(), torch.full((4,), 1.9)), "L2 through the gradient: first step is lr*sign"
    assert torch.equal(q.grad, torch.zeros(4)), "apply_weight_decay must not modify p.grad in place"


@pytest.mark.commit("3.1")
def test_optimizer_state_dict_resumes_to_the_same_trajectory():
    from phase3_optim.adam import AdamW
    a = tiny_gpt()
    opt_a = AdamW(a.parameters(), lr=3e-3)
    train(a, opt_a, 20)
    b = twin(a)
    opt_b = AdamW(b.parameters(), lr=3e-3)
    opt_b.load_state_dict(copy.deepcopy(opt_a.state_dict()))  # as if through torch.save/load
    train(a, opt_a, 20)
    train(b, opt_b, 20)
    assert max_relative_diff(a, b) == 0.0
