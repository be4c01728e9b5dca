"""Softmax from scratch (commit 1.1): equal to torch's, finite for any logits, exact zeros under -inf."""

import pytest
import torch
import torch.nn.functional as F


def no_torch_softmax(monkeypatch):
    """Fail loudly if the exercise calls one of torch's softmaxes instead of computing it."""
    def refuse(*a, **k):
        pytest.fail("write softmax yourself (exp, sum, divide): no torch softmax / log_softmax")
    for owner, name in ((torch, "softmax"), (torch, "log_softmax"), (F, "softmax"), (F, "log_softmax"),
                        (torch.Tensor, "softmax"), (torch.Tensor, "log_softmax"), (torch.special, "softmax")):
        monkeypatch.setattr(owner, name, refuse)


def _expected(x, dim):
    return torch.softmax(x, dim=dim)


@pytest.mark.commit("1.1", "softmax")
@pytest.mark.parametrize("dim", [-1, 0, 1])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_softmax_equals_torch_along_any_dim(impl, monkeypatch, dim, dtype):
    sm = impl("phase1_model.softmax")
    x = torch.randn(3, 5, 7, generator=torch.Generator().manual_seed(0), dtype=dtype) * 3
    expected = _expected(x, dim)
    no_torch_softmax(monkeypatch)
    y = sm.softmax(x, dim=dim)
    assert y.shape == x.shape and y.dtype == dtype
    # exp, a sum of <= 7 terms, a divide: a few ulps apart from torch's kernel; default tolerances
    # (float32: rtol 1.3e-6, atol 1e-5; float64: rtol 1e-7, atol 1e-7)
    torch.testing.assert_close(y, expected)
    torch.testing.assert_close(y.sum(dim), torch.ones_like(y.sum(dim)))


@pytest.mark.commit("1.1", "softmax")
def test_softmax_default_dim_is_the_last(impl):
    sm = impl("phase1_model.softmax")
    x = torch.randn(4, 6)
    torch.testing.assert_close(sm.softmax(x), torch.softmax(x, dim=-1))


@pytest.mark.commit("1.1", "softmax")
@pytest.mark.parametrize("scale", [1e2, 1e4, -1e4])
def test_softmax_of_huge_logits_is_finite_and_correct(impl, monkeypatch, scale):
    # exp(89) overflows float32: exp(1e2) is inf (inf / inf = nan) and exp(-1e4) is 0 (0 / 0 = nan)
    # unless the row's maximum is subtracted first.
    sm = impl("phase1_model.softmax")
    base = torch.tensor([[1.0, 2.0, 3.0, 2.5], [0.0, -1.0, 0.5, 0.25]]) * scale
    expected = torch.softmax(base.double(), dim=-1).float()  # float64 oracle (no overflow at these sizes)
    no_torch_softmax(monkeypatch)
    y = sm.softmax(base + torch.tensor([[0.0], [3e4]]))  # softmax ignores a constant added to a row
    assert torch.isfinite(y).all(), "softmax overflowed: subtract each row's maximum before exp"
    torch.testing.assert_close(y, expected)


@pytest.mark.commit("1.1", "softmax")
def test_minus_infinity_gets_exactly_zero_probability(impl, monkeypatch):
    sm = impl("phase1_model.softmax")
    T = 5
    scores = torch.randn(2, T, T) * 4
    masked = scores.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), float("-inf"))  # a causal mask
    expected = torch.softmax(masked, dim=-1)
    no_torch_softmax(monkeypatch)
    y = sm.softmax(masked)
    assert torch.isfinite(y).all()
    assert (y.masked_select(~torch.ones(T, T, dtype=torch.bool).tril().expand(2, T, T)) == 0).all(), \
        "masked (-inf) entries must get probability exactly 0"
    torch.testing.assert_close(y, expected)
    assert y[:, 0, 0].eq(1).all(), "the first query sees only itself: weight 1"


@pytest.mark.commit("1.1", "softmax")
def test_softmax_gradient_equals_torchs(impl, monkeypatch):
    sm = impl("phase1_model.softmax")
    x = (torch.randn(3, 8) * 5).requires_grad_(True)
    xr = x.detach().clone().requires_grad_(True)
    upstream = torch.randn(3, 8)
    (e,) = torch.autograd.grad(torch.softmax(xr, dim=-1), xr, upstream)
    no_torch_softmax(monkeypatch)
    (g,) = torch.autograd.grad(sm.softmax(x, dim=-1), x, upstream)
    # float32; the max-subtraction's own gradient cancels to rounding (~1e-7): default tolerances
    torch.testing.assert_close(g, e)
