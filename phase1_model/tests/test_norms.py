"""Norms (commit 1.3): from-scratch LayerNorm and RMSNorm equal torch's own."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed)) * 3 + 1  # nonzero mean on purpose


@pytest.mark.commit("1.3", "layer_norm")
def test_layer_norm_equals_nn_layernorm_with_weight_and_bias(impl):
    norms = impl("phase1_model.norms")
    ln = nn.LayerNorm(16)
    with torch.no_grad():
        ln.weight.copy_(rand(16, seed=1))
        ln.bias.copy_(rand(16, seed=2))
    x = rand(2, 5, 16)
    torch.testing.assert_close(norms.layer_norm(x, ln.weight, ln.bias, ln.eps), ln(x))


@pytest.mark.commit("1.3", "layer_norm")
def test_layer_norm_without_parameters_gives_zero_mean_unit_variance(impl):
    norms = impl("phase1_model.norms")
    x = rand(4, 32)
    y = norms.layer_norm(x)
    torch.testing.assert_close(y, F.layer_norm(x, (32,)))
    torch.testing.assert_close(y.mean(-1), torch.zeros(4), atol=1e-5, rtol=0)


@pytest.mark.commit("1.3", "rms_norm")
def test_rms_norm_equals_f_rms_norm_with_and_without_weight(impl):
    norms = impl("phase1_model.norms")
    x, w = rand(3, 7, 16), rand(16, seed=1)
    torch.testing.assert_close(norms.rms_norm(x, w, 1e-5), F.rms_norm(x, (16,), w, 1e-5))
    torch.testing.assert_close(norms.rms_norm(x, None, 1e-5), F.rms_norm(x, (16,), None, 1e-5))


@pytest.mark.commit("1.3", "rms_norm")
def test_rms_norm_does_not_centre_the_input(impl):
    norms = impl("phase1_model.norms")
    x = torch.full((1, 8), 5.0)  # constant vector: LayerNorm would give 0, RMSNorm gives 1
    torch.testing.assert_close(norms.rms_norm(x), torch.ones(1, 8), atol=1e-5, rtol=0)


@pytest.mark.commit("1.3", "rms_norm")
def test_rms_norm_of_a_zero_vector_is_zero_not_nan(impl):
    # eps inside the square root keeps 0 / sqrt(0) from happening (Zhang & Sennrich eq. 4)
    norms = impl("phase1_model.norms")
    x = torch.zeros(2, 8)
    torch.testing.assert_close(norms.rms_norm(x, None, 1e-5), F.rms_norm(x, (8,), None, 1e-5))
    assert not torch.isnan(norms.rms_norm(x, torch.ones(8))).any(), "add eps under the square root"


@pytest.mark.commit("1.3", "layer_norm")
def test_layer_norm_of_a_constant_vector_is_the_bias_not_nan(impl):
    norms = impl("phase1_model.norms")
    x, b = torch.full((2, 8), 3.0), rand(8, seed=4)
    torch.testing.assert_close(norms.layer_norm(x, torch.ones(8), b), F.layer_norm(x, (8,), torch.ones(8), b))


@pytest.mark.commit("1.3")
def test_norm_modules_match_torch_modules_and_parameter_free_rmsnorm_has_no_parameters():
    from phase1_model.norms import LayerNorm, RMSNorm
    x = rand(2, 3, 16)
    torch.testing.assert_close(LayerNorm(16)(x), nn.LayerNorm(16)(x))
    torch.testing.assert_close(RMSNorm(16, eps=1e-5)(x), nn.RMSNorm(16, eps=1e-5)(x))
    assert len(list(RMSNorm(16, affine=False).parameters())) == 0
    assert LayerNorm(16, bias=False).bias is None


@pytest.mark.commit("1.3")
@pytest.mark.parametrize("affine", [True, False])
def test_written_out_rmsnorm_backward_equals_torchs_rms_norm_value_and_gradients(affine):
    # The torch path's CPU RMSNorm (RMSNormFunction, used by FastRMSNorm and the QK-/embedding norm)
    # against torch's own F.rms_norm differentiated by autograd, and against finite differences.
    from phase1_model.norms import FastRMSNorm, RMSNormFunction
    x = rand(2, 5, 16).double().requires_grad_()
    w = (rand(16, seed=1) if affine else torch.ones(16)).double().requires_grad_(affine)
    weight = w if affine else None
    torch.autograd.gradcheck(lambda a, b: RMSNormFunction.apply(a, b if affine else None, 1e-5), (x, w))
    g = rand(2, 5, 16, seed=2).double()
    ours = RMSNormFunction.apply(x, weight, 1e-5)
    want = F.rms_norm(x, (16,), weight, 1e-5)
    torch.testing.assert_close(ours, want)
    grads = [x, w] if affine else [x]
    for a, b in zip(torch.autograd.grad(ours, grads, g), torch.autograd.grad(want, grads, g)):
        torch.testing.assert_close(a, b)
    # the module: an nn.RMSNorm (same parameters and state_dict), same numbers in float32 to rounding
    module, plain = FastRMSNorm(16, eps=1e-5), nn.RMSNorm(16, eps=1e-5)
    assert isinstance(module, nn.RMSNorm) and module.state_dict().keys() == plain.state_dict().keys()
    x32 = rand(3, 16, seed=3)
    torch.testing.assert_close(module(x32), plain(x32))
