"""The Linear layer from scratch (commit 1.1): nn.Linear's parameters and state dict, its init, its product."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F


@pytest.mark.commit("1.1", "linear")
@pytest.mark.parametrize("bias", [True, False])
def test_linear_has_nn_linears_parameters_and_state_dict_keys(impl, bias):
    linear = impl("phase1_model.linear")
    ours, theirs = linear.Linear(5, 3, bias=bias), nn.Linear(5, 3, bias=bias)
    assert (ours.in_features, ours.out_features) == (5, 3)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}, "same keys and shapes as nn.Linear"
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    if not bias:
        assert ours.bias is None, "without a bias, self.bias is None (code reads `if layer.bias is not None`)"
    ours.load_state_dict(theirs.state_dict())  # a checkpoint of either loads into the other


@pytest.mark.commit("1.1", "linear")
def test_linear_honours_device_and_dtype(impl):
    linear = impl("phase1_model.linear")
    lin = linear.Linear(4, 6, dtype=torch.float64)
    assert lin.weight.dtype == lin.bias.dtype == torch.float64
    with torch.device("meta"):  # how the tests build GPT-2 small and Llama-2-7B without memory
        big = linear.Linear(4096, 11008)
    assert big.weight.is_meta and big.weight.shape == (11008, 4096)
    meta = linear.Linear(3, 2, device="meta")
    assert meta.weight.is_meta and meta.bias.is_meta


@pytest.mark.commit("1.1", "linear")
@pytest.mark.parametrize("fan_in", [1, 256])
def test_linear_init_is_uniform_within_one_over_sqrt_fan_in(impl, fan_in):
    linear = impl("phase1_model.linear")
    torch.manual_seed(0)
    lin = linear.Linear(fan_in, 8192)
    bound = 1 / math.sqrt(fan_in)
    for name, p in (("weight", lin.weight), ("bias", lin.bias)):
        values = p.detach().flatten().double()
        n = values.numel()  # 8192 (bias, weight at fan_in=1) to 2M draws of U(-a, a), a = bound
        assert values.abs().max() <= bound, f"{name}: every entry must lie in [-1/sqrt(in), 1/sqrt(in)]"
        # The extremes come within 1% of a (a miss has probability 0.99^8192 ~ e^-82); the mean is
        # 0 with std a / sqrt(3n) (<= 0.0064 a), allowed 5 sigma; E[x^2] = a^2/3 with std
        # a^2 sqrt(4/45) / sqrt(n) (<= 1% of a^2/3), allowed 5 sigma = 5%.
        assert values.abs().max() >= 0.99 * bound, f"{name}: U(-a, a) comes close to a; yours stays narrower"
        assert abs(values.mean().item()) < 5 * bound / math.sqrt(3 * n), f"{name}: the init must be centred on 0"
        assert values.pow(2).mean().item() == pytest.approx(bound ** 2 / 3, rel=0.05), \
            f"{name}: variance of U(-a, a) is a^2/3 (a = 1/sqrt(in_features))"


@pytest.mark.commit("1.1", "linear")
def test_linear_init_draws_from_torchs_generator(impl):
    linear = impl("phase1_model.linear")
    torch.manual_seed(3)
    a = linear.Linear(8, 8)
    torch.manual_seed(3)
    b = linear.Linear(8, 8)
    c = linear.Linear(8, 8)  # no reseed: different numbers
    assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias), "torch.manual_seed must reproduce it"
    assert not torch.equal(b.weight, c.weight)
    assert not torch.equal(a.weight[0], a.weight[1]), "each entry drawn independently"


@pytest.mark.commit("1.1")
def test_reference_init_is_bitwise_torchs_default():
    # A property of OUR reference only (a learner's equally correct draw may consume the generator
    # differently): the same uniform draws, weight then bias, as nn.Linear.reset_parameters.
    from phase1_model.linear import Linear
    torch.manual_seed(0)
    ours = Linear(7, 5)
    torch.manual_seed(0)
    theirs = nn.Linear(7, 5)
    assert torch.equal(ours.weight, theirs.weight) and torch.equal(ours.bias, theirs.bias)


def _layer(linear, bias, seed=0):
    torch.manual_seed(seed)
    lin = linear.Linear(6, 4, bias=bias)
    with torch.no_grad():  # numbers that do not depend on the learner's init
        lin.weight.copy_(torch.randn(4, 6))
        if bias:
            lin.bias.copy_(torch.randn(4))
    return lin


@pytest.mark.commit("1.1", "linear_forward")
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(6,), (3, 6), (2, 5, 6)])
def test_linear_forward_equals_f_linear_values_and_gradients(impl, monkeypatch, bias, shape):
    linear = impl("phase1_model.linear")
    lin = _layer(linear, bias)
    x = torch.randn(*shape, requires_grad=True)
    xr = x.detach().clone().requires_grad_(True)
    w = lin.weight.detach().clone().requires_grad_(True)
    b = lin.bias.detach().clone().requires_grad_(True) if bias else None
    expected = F.linear(xr, w, b)
    monkeypatch.setattr(F, "linear", lambda *a, **k: pytest.fail("write the product yourself: no F.linear"))
    monkeypatch.setattr(nn.Linear, "forward", lambda *a, **k: pytest.fail("no nn.Linear"))
    y = lin(x)
    assert y.shape == shape[:-1] + (4,)
    # float32, a 6-term dot product: default assert_close tolerances (rtol 1.3e-6, atol 1e-5)
    torch.testing.assert_close(y, expected)
    upstream = torch.randn(y.shape)
    grads = torch.autograd.grad(y, [x, lin.weight] + ([lin.bias] if bias else []), upstream)
    expected_grads = torch.autograd.grad(expected, [xr, w] + ([b] if bias else []), upstream)
    for g, e in zip(grads, expected_grads):
        torch.testing.assert_close(g, e)


@pytest.mark.commit("1.1", "linear_forward")
def test_linear_forward_names_both_sizes_when_the_input_does_not_fit(impl):
    linear = impl("phase1_model.linear")
    lin = _layer(linear, True)
    with pytest.raises(ValueError, match="6") as e:
        lin(torch.randn(2, 5))
    assert "5" in str(e.value), "name the input's size too"
