"""MLPs (commit 1.3): GELU and SiLU from scratch equal torch's; each MLP kind computes its paper's formula."""

import pytest
import torch
import torch.nn.functional as F

from phase1_model.config import GPTConfig


@pytest.mark.commit("1.3", "gelu")
@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_equals_torch_gelu(impl, approximate):
    mlp = impl("phase1_model.mlp")
    x = torch.linspace(-6, 6, 101)
    torch.testing.assert_close(mlp.gelu(x, approximate), F.gelu(x, approximate=approximate))


def _value_and_grad(fn, x):
    x = x.detach().clone().requires_grad_(True)
    y = fn(x)
    (g,) = torch.autograd.grad(y.sum(), x)
    return y, g


@pytest.mark.commit("1.3", "silu")
def test_silu_value_and_gradient_equal_torch_silu_on_ordinary_inputs(impl, monkeypatch):
    mlp = impl("phase1_model.mlp")
    x = torch.randn(4, 37, generator=torch.Generator().manual_seed(0)) * 4
    expected, expected_grad = _value_and_grad(F.silu, x)
    for name in ("sigmoid",):  # "from scratch": the sigmoid is yours
        monkeypatch.setattr(torch, name, lambda *a, **k: pytest.fail("silu must not call torch.sigmoid"))
    monkeypatch.setattr(torch.Tensor, "sigmoid", lambda *a, **k: pytest.fail("silu must not call Tensor.sigmoid"))
    monkeypatch.setattr(F, "sigmoid", lambda *a, **k: pytest.fail("silu must not call F.sigmoid"))
    monkeypatch.setattr(F, "silu", lambda *a, **k: pytest.fail("silu must not call F.silu"))
    y, g = _value_and_grad(mlp.silu, x)
    assert y.shape == x.shape and y.dtype == x.dtype
    # float32, a few elementwise ops: default assert_close tolerances (rtol 1.3e-6, atol 1e-5) leave room
    # for a different but equivalent formula (x / (1 + exp(-x)), x * sigmoid written out...).
    torch.testing.assert_close(y, expected)
    torch.testing.assert_close(g, expected_grad)


@pytest.mark.commit("1.3", "silu")
def test_silu_and_its_gradient_stay_finite_for_large_inputs(impl):
    # exp(89) overflows float32: the textbook x / (1 + exp(-x)) has the right VALUE at x = -100 (x / inf = -0)
    # but its backward multiplies 0 by inf there: nan gradients the first time a gate goes very negative.
    mlp = impl("phase1_model.mlp")
    x = torch.linspace(-300, 300, 601)
    expected, expected_grad = _value_and_grad(F.silu, x)
    y, g = _value_and_grad(mlp.silu, x)
    assert torch.isfinite(y).all(), "silu(x) must be finite for every finite x (exp overflows beyond ~88)"
    assert torch.isfinite(g).all(), ("the gradient of silu is nan/inf for large |x|: in float32 exp(-x) "
                                     "overflows for x < -88 and the backward multiplies 0 by inf")
    torch.testing.assert_close(y, expected)
    torch.testing.assert_close(g, expected_grad)


def _mlp(mlp, kind, n_embd=8, hidden=12, **kw):
    torch.manual_seed(0)
    m = mlp.MLP(n_embd, hidden, kind, **kw)
    with torch.no_grad():  # nonzero biases, so a forgotten bias shows
        for p in m.parameters():
            if p.dim() == 1:
                p.normal_()
    return m


def _oracle(m, x, kind):
    """Straight-line formulas of the papers, from the weights."""
    h = x @ m.c_fc.weight.T + (m.c_fc.bias if m.c_fc.bias is not None else 0)
    if kind == "gelu":
        h = F.gelu(h, approximate="tanh")  # GPT-2's tanh approximation
    elif kind == "relu2":
        h = torch.relu(h) ** 2
    else:
        hidden = h.size(-1) // 2
        h = F.silu(h[..., :hidden]) * h[..., hidden:]  # Shazeer 2020, FFN_SwiGLU: gate first, up second
    return h @ m.c_proj.weight.T + (m.c_proj.bias if m.c_proj.bias is not None else 0)


@pytest.mark.commit("1.3", "mlp")
@pytest.mark.parametrize("kind", ["gelu", "relu2", "swiglu"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("manual", [False, True])
def test_mlp_computes_its_paper_formula(impl, kind, bias, manual):
    mlp = impl("phase1_model.mlp")
    m = _mlp(mlp, kind, bias=bias, manual=manual)
    x = torch.randn(2, 3, 8)
    # float32, matmuls of width <= 24: default assert_close tolerances
    torch.testing.assert_close(m(x), _oracle(m, x, kind))


@pytest.mark.commit("1.3", "mlp")
@pytest.mark.parametrize("kind", ["gelu", "swiglu"])
def test_manual_mlp_calls_our_activations_not_torchs(impl, monkeypatch, kind):
    mlp = impl("phase1_model.mlp")
    m = _mlp(mlp, kind, manual=True)
    x = torch.randn(2, 3, 8)
    expected = _oracle(m, x, kind)
    for name in ("gelu", "silu"):
        monkeypatch.setattr(F, name, lambda *a, **k: pytest.fail("with manual=True call self.gelu / self.silu"))
    torch.testing.assert_close(m(x), expected)


@pytest.mark.commit("1.3", "mlp")
@pytest.mark.parametrize("kind", ["gelu", "relu2", "swiglu"])
def test_mlp_applies_its_dropout_to_the_output_in_training_only(impl, kind):
    mlp = impl("phase1_model.mlp")
    m = _mlp(mlp, kind, bias=False, dropout=0.5)
    x = torch.randn(4, 16, 8)
    expected = _oracle(m, x, kind)
    torch.testing.assert_close(m.eval()(x), expected)  # eval: dropout is the identity
    y = m.train()(x)
    dropped = y == 0
    # inverted dropout on the output (as nn.Dropout does): each entry zeroed with p = 0.5, the
    # survivors scaled by 1 / (1 - p) = 2. 512 entries: the dropped share is 0.5 +- 0.07 (3 sigma).
    assert 0.35 < dropped.float().mean().item() < 0.65, "self.dropout must be applied to the MLP's output"
    torch.testing.assert_close(y[~dropped], 2 * expected[~dropped])


@pytest.mark.commit("1.3")
def test_build_mlp_follows_the_config():
    import torch.nn as nn

    from phase1_model.linear import Linear
    from phase1_model.mlp import MLP, build_mlp
    assert build_mlp(GPTConfig.from_lineage("gpt2")).kind == "gelu"
    assert build_mlp(GPTConfig.from_lineage("nanochat")).kind == "relu2"
    m = build_mlp(GPTConfig.from_lineage("llama", n_embd=384))
    assert type(m) is MLP and m.kind == "swiglu" and m.c_fc.out_features == 2 * 1024 and m.c_fc.bias is None
    assert type(m.c_fc) is nn.Linear and m.gelu is F.gelu and m.silu is F.silu  # the torch path: torch's kernels
    manual = build_mlp(GPTConfig.from_lineage("llama", n_embd=384, primitives="manual"))
    assert type(manual.c_fc) is Linear and manual.state_dict().keys() == m.state_dict().keys()


@pytest.mark.commit("1.3")
def test_relu_squared_has_the_gradient_of_relu_squared():
    from phase1_model.mlp import ReLUSquared
    x = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(ReLUSquared.apply, (x,))  # against finite differences
    g = torch.randn(4, 6, dtype=torch.float64)
    ours, = torch.autograd.grad(ReLUSquared.apply(x), x, g)
    plain, = torch.autograd.grad(F.relu(x).square(), x, g)  # torch's autograd of the formula
    torch.testing.assert_close(ours, plain)
    torch.testing.assert_close(ReLUSquared.apply(x), F.relu(x) ** 2)
