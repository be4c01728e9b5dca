"""Muon (commit 3.2): Newton-Schulz orthogonalization, momentum, and equality with torch.optim.Muon."""

import pytest
import torch

from phase3_optim.tests.helpers import tiny_gpt, train

HAS_TORCH_MUON = hasattr(torch.optim, "Muon")  # torch >= 2.9


@pytest.mark.commit("3.2", "newton_schulz")
@pytest.mark.parametrize("shape", [(32, 128), (128, 32), (64, 160)])
@pytest.mark.parametrize("scale", [1e-3, 1e3])
def test_newton_schulz_output_is_near_orthogonal(impl, shape, scale):
    """5 quintic steps put every singular value in a band around 1 (~[0.68, 1.13]) whatever the input's scale,
    and keep G's singular vectors: O ~ U V^T. (Needs sigma_min / ||G||_F above ~1e-3: NS multiplies a tiny
    singular value by at most a^5 ~ 490, so near-singular inputs keep near-zero directions.)"""
    muon = impl("phase3_optim.muon")
    G = scale * torch.randn(shape, generator=torch.Generator().manual_seed(0))
    ortho = muon.newton_schulz(G, dtype=torch.float32)
    assert ortho.shape == G.shape and ortho.dtype == torch.float32
    s = torch.linalg.svdvals(ortho)
    assert 0.6 < s.min() and s.max() < 1.25, f"singular values in [{s.min():.3f}, {s.max():.3f}]"
    U, _, Vh = torch.linalg.svd(G, full_matrices=False)
    inner = U.T @ ortho @ Vh.T  # diagonal when O shares G's singular vectors
    assert (inner - torch.diag(torch.diagonal(inner))).abs().max() < 1e-3


@pytest.mark.commit("3.2", "newton_schulz")
def test_newton_schulz_of_a_batch_equals_one_matrix_at_a_time(impl):
    muon = impl("phase3_optim.muon")
    G = torch.randn(3, 16, 40, generator=torch.Generator().manual_seed(1))
    batched = muon.newton_schulz(G)
    for i in range(3):
        assert torch.allclose(batched[i], muon.newton_schulz(G[i]), atol=1e-6)


@pytest.mark.commit("3.2", "newton_schulz")
@pytest.mark.skipif(not HAS_TORCH_MUON, reason="torch.optim.Muon needs torch >= 2.9")
def test_newton_schulz_in_bf16_equals_torch_muons(impl):
    from torch.optim._muon import _zeropower_via_newtonschulz
    muon = impl("phase3_optim.muon")
    for shape in [(24, 40), (40, 24)]:
        G = torch.randn(shape, generator=torch.Generator().manual_seed(2))
        ref = _zeropower_via_newtonschulz(G, muon.NS_COEFFICIENTS, 5, 1e-7)
        ours = muon.newton_schulz(G, dtype=torch.bfloat16)
        assert torch.allclose(ours.float(), ref.float(), atol=1e-2)


@pytest.mark.commit("3.2", "muon_momentum")
def test_muon_momentum_is_an_ema_with_a_nesterov_lookahead(impl):
    muon = impl("phase3_optim.muon")
    buf, g = torch.zeros(2, 2), torch.ones(2, 2)
    out = muon.muon_momentum(g, buf, 0.9, nesterov=False)
    assert torch.allclose(buf, torch.full((2, 2), 0.1)) and out is buf
    out = muon.muon_momentum(g, buf, 0.9, nesterov=True)  # buf = 0.19; g.lerp(buf, 0.9) = 0.1 + 0.9*0.19
    assert torch.allclose(buf, torch.full((2, 2), 0.19))
    assert torch.allclose(out, torch.full((2, 2), 0.1 + 0.9 * 0.19)) and torch.equal(g, torch.ones(2, 2))


@pytest.mark.commit("3.2", "muon_momentum")
@pytest.mark.skipif(not HAS_TORCH_MUON, reason="torch.optim.Muon needs torch >= 2.9")
@pytest.mark.parametrize("adjust_lr_fn, nesterov", [("original", True), ("match_rms_adamw", False)])
def test_muon_equals_torch_muon_configured_alike(impl, adjust_lr_fn, nesterov):
    """Same hyper-parameters, NS in bf16 as torch does: 30 steps give bit-identical weights."""
    muon = impl("phase3_optim.muon")
    g = torch.Generator().manual_seed(3)
    ours = [torch.nn.Parameter(torch.randn(s, generator=g)) for s in [(32, 16), (16, 32), (24, 24), (24, 24)]]
    ref = [torch.nn.Parameter(p.detach().clone()) for p in ours]
    hp = dict(lr=0.02, momentum=0.95, nesterov=nesterov, weight_decay=0.1, adjust_lr_fn=adjust_lr_fn)
    opt_ours = muon.Muon(ours, ns_dtype=torch.bfloat16, **hp)
    opt_ref = torch.optim.Muon(ref, **hp)
    for _ in range(30):
        for a, b in zip(ours, ref):
            a.grad = torch.randn(a.shape, generator=g)
            b.grad = a.grad.clone()
        opt_ours.step()
        opt_ref.step()
    for a, b in zip(ours, ref):
        assert torch.allclose(a, b, rtol=0, atol=1e-6)


@pytest.mark.commit("3.2")
def test_muon_rejects_non_matrices_with_a_message_that_names_the_fix():
    from phase3_optim.muon import Muon
    p = torch.nn.Parameter(torch.ones(4))
    p.grad = torch.ones(4)
    with pytest.raises(ValueError, match="AdamW"):
        Muon([p]).step()


@pytest.mark.commit("3.2")
def test_shape_aware_lr_scaling_matches_jordan_and_liu():
    from phase3_optim.muon import adjusted_lr
    assert adjusted_lr(0.02, torch.Size([512, 128]), "original") == pytest.approx(0.04)  # sqrt(512/128)
    assert adjusted_lr(0.02, torch.Size([128, 512]), "original") == pytest.approx(0.02)
    assert adjusted_lr(1e-3, torch.Size([128, 512]), "match_rms_adamw") == pytest.approx(1e-3 * 0.2 * 512 ** 0.5)


@pytest.mark.commit("3.2")
def test_muon_adamw_trains_a_gpt_and_state_dict_round_trips():
    from phase3_optim import build_optimizer
    model = tiny_gpt()
    opt = build_optimizer(model, "muon", lr=3e-2, weight_decay=0.0)
    losses = train(model, opt, 100)
    assert sum(losses[-16:]) / 16 < losses[0] - 0.8
    kinds = {len(s) for s in opt.state.values()}
    assert kinds == {1, 3}, "Muon keeps one buffer per matrix, AdamW three entries (step, m, v)"
    fresh = build_optimizer(tiny_gpt(), "muon", lr=3e-3, weight_decay=0.0)
    fresh.load_state_dict(opt.state_dict())
    assert [g["use_muon"] for g in fresh.param_groups] == [g["use_muon"] for g in opt.param_groups]
