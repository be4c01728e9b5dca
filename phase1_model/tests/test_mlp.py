"""MLPs (commit 1.3): GELU from scratch equals F.gelu; each MLP computes its paper's formula."""

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


@pytest.mark.commit("1.3", "swiglu")
def test_swiglu_mlp_computes_silu_gate_times_up_then_down(impl):
    mlp = impl("phase1_model.mlp")
    torch.manual_seed(0)
    m = mlp.SwiGLUMLP(8, 12)
    x = torch.randn(2, 3, 8)
    w_gate, w_up = m.c_fc.weight[:12], m.c_fc.weight[12:]
    expected = (F.silu(x @ w_gate.T) * (x @ w_up.T)) @ m.c_proj.weight.T  # Shazeer 2020, FFN_SwiGLU
    torch.testing.assert_close(m(x), expected)


@pytest.mark.commit("1.3", "swiglu")
def test_swiglu_mlp_applies_its_dropout_in_training_only(impl):
    mlp = impl("phase1_model.mlp")
    torch.manual_seed(0)
    m = mlp.SwiGLUMLP(8, 12, dropout=0.5)
    x = torch.randn(4, 16, 8)
    expected = (F.silu(x @ m.c_fc.weight[:12].T) * (x @ m.c_fc.weight[12:].T)) @ m.c_proj.weight.T
    torch.testing.assert_close(m.eval()(x), expected)  # eval: dropout is the identity
    y = m.train()(x)
    dropped = y == 0
    # inverted dropout on the output (as GELUMLP and nn.Dropout do): each entry zeroed with p = 0.5,
    # the survivors scaled by 1 / (1 - p) = 2. 512 entries: the dropped share is 0.5 +- 0.07 (3 sigma).
    assert 0.35 < dropped.float().mean().item() < 0.65, "self.dropout must be applied to the MLP's output"
    torch.testing.assert_close(y[~dropped], 2 * expected[~dropped])


@pytest.mark.commit("1.3")
def test_gelu_and_relu2_mlps_compute_their_formulas():
    from phase1_model.mlp import GELUMLP, ReLU2MLP
    torch.manual_seed(0)
    x = torch.randn(2, 3, 8)
    g, r = GELUMLP(8, 32), ReLU2MLP(8, 32, bias=False)
    torch.testing.assert_close(g(x), g.c_proj(F.gelu(g.c_fc(x), approximate="tanh")))
    torch.testing.assert_close(r(x), (torch.relu(x @ r.c_fc.weight.T) ** 2) @ r.c_proj.weight.T)


@pytest.mark.commit("1.3")
def test_build_mlp_follows_the_config():
    from phase1_model.mlp import GELUMLP, ReLU2MLP, SwiGLUMLP, build_mlp
    assert type(build_mlp(GPTConfig.from_lineage("gpt2"))) is GELUMLP
    assert type(build_mlp(GPTConfig.from_lineage("nanochat"))) is ReLU2MLP
    m = build_mlp(GPTConfig.from_lineage("llama", n_embd=384))
    assert type(m) is SwiGLUMLP and m.c_fc.out_features == 2 * 1024 and m.c_fc.bias is None


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
