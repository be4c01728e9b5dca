"""Muon (commit 3.2): Newton-Schulz orthogonalization, momentum, and equality with torch.optim.Muon.

Learner checks compare with closed forms computed in the test (the quintic polynomial applied to the
singular values of an SVD, in float64; a Muon step written out line by line); equality with
torch.optim.Muon in bf16 is a property of our reference's op order (`reference_only`). The torch.optim.Muon
tests need torch >= 2.9 (the README's requirements say so; they skip on older torch).
"""

import math

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from phase3_optim.tests.helpers import tiny_gpt, train

HAS_TORCH_MUON = hasattr(torch.optim, "Muon")  # torch >= 2.9
# The quintic's coefficients as published (Jordan et al. 2024), written here, not taken from the module.
A, B, C = 3.4445, -4.7750, 2.0315


def quintic_ns_by_svd(G: torch.Tensor, steps: int = 5) -> torch.Tensor:
    """The closed form of 5 Newton-Schulz steps: X_k = p(X_{k-1}) acts on each singular value alone, so
    NS(G) = U diag(p^(5)(s / ||G||_F)) V^T with p(s) = a s + b s^3 + c s^5 (float64 SVD of G)."""
    U, s, Vh = torch.linalg.svd(G.double(), full_matrices=False)
    s = s / torch.linalg.matrix_norm(G.double(), keepdim=True).squeeze(-1)
    for _ in range(steps):
        s = A * s + B * s ** 3 + C * s ** 5
    return U @ torch.diag_embed(s) @ Vh


SHAPES = [(32, 128), (128, 32), (64, 160), (24, 24), (3, 40, 16)]  # wide, tall, square, a batch of tall


@pytest.mark.commit("3.2", "newton_schulz")
@pytest.mark.parametrize("shape", SHAPES)
def test_newton_schulz_in_float64_equals_the_quintic_applied_to_the_singular_values(impl, shape):
    """Any correct op order (addmm, b*A + c*A@A, X^T X on the right for tall matrices) agrees with the
    closed form to ~1e-13 in float64 (round-off ~1e-16, times at most p'(0)^5 = a^5 ~ 490); 1e-9 is loose.
    eps=1e-30: eps only guards a zero matrix, and whether it is added to the norm or clamps it shifts the
    small singular values by ~eps/||G|| (x490), which would be visible at 1e-9 with the default 1e-7."""
    muon = impl("phase3_optim.muon")
    G = torch.randn(shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    out = muon.newton_schulz(G, eps=1e-30, dtype=torch.float64)
    assert out.shape == G.shape and out.dtype == torch.float64
    torch.testing.assert_close(out, quintic_ns_by_svd(G), rtol=0, atol=1e-9)


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
    assert torch.isfinite(ortho).all(), "non-finite output: was G scaled to spectral norm <= 1 first?"
    s = torch.linalg.svdvals(ortho)
    assert 0.6 < s.min() and s.max() < 1.25, f"singular values in [{s.min():.3f}, {s.max():.3f}]"
    U, _, Vh = torch.linalg.svd(G, full_matrices=False)
    inner = U.T @ ortho @ Vh.T  # diagonal when O shares G's singular vectors
    assert (inner - torch.diag(torch.diagonal(inner))).abs().max() < 1e-3


class LargestMatrix(TorchDispatchMode):
    """Records the largest matrix (product of the last two dims) any op produces."""

    def __init__(self):
        super().__init__()
        self.largest = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else [out]:
            if isinstance(t, torch.Tensor) and t.ndim >= 2:
                self.largest = max(self.largest, t.shape[-2] * t.shape[-1])
        return out


@pytest.mark.commit("3.2", "newton_schulz")
@pytest.mark.parametrize("shape", [(256, 8), (8, 256), (2, 256, 8)])
def test_newton_schulz_of_a_tall_matrix_never_forms_the_big_gram_matrix(impl, shape):
    """For G of shape (m, n) the Gram matrix must be the small one, min(m, n)^2: a (256, 8) gradient
    needs 8 x 8 products, not a 256 x 256 one (1000x the FLOPs for the same result)."""
    muon = impl("phase3_optim.muon")
    G = torch.randn(shape, generator=torch.Generator().manual_seed(1))
    with LargestMatrix() as rec:
        out = muon.newton_schulz(G, dtype=torch.float32)
    assert out.shape == G.shape
    assert rec.largest <= 256 * 8, f"an intermediate of {rec.largest} entries: the (m, m) Gram matrix of a tall G"


@pytest.mark.commit("3.2", "newton_schulz")
def test_newton_schulz_of_a_batch_equals_one_matrix_at_a_time(impl):
    muon = impl("phase3_optim.muon")
    G = torch.randn(3, 16, 40, generator=torch.Generator().manual_seed(1))
    batched = muon.newton_schulz(G)
    for i in range(3):
        assert torch.allclose(batched[i], muon.newton_schulz(G[i]), atol=1e-6)


@pytest.mark.reference_only
@pytest.mark.commit("3.2", "newton_schulz")
@pytest.mark.skipif(not HAS_TORCH_MUON, reason="torch.optim.Muon needs torch >= 2.9")
def test_reference_newton_schulz_in_bf16_equals_torch_muons(impl):
    """Our reference uses torch's op order (addmm/baddbmm), so in bf16 it matches torch's own function,
    called with torch's own default coefficients and step count (not ours)."""
    from torch.optim import _muon
    muon = impl("phase3_optim.muon")
    coefficients = (_muon.DEFAULT_A, _muon.DEFAULT_B, _muon.DEFAULT_C)
    for shape in [(24, 40), (40, 24)]:
        G = torch.randn(shape, generator=torch.Generator().manual_seed(2))
        ref = _muon._zeropower_via_newtonschulz(G, coefficients, _muon.DEFAULT_NS_STEPS, 1e-7)
        ours = muon.newton_schulz(G, dtype=torch.bfloat16)
        assert torch.allclose(ours.float(), ref.float(), atol=1e-2)


def identity(directions):
    """An `orthogonalize` that returns copies of its inputs: the update is then visible in closed form."""
    return [d.clone() for d in directions]


@pytest.mark.commit("3.2", "muon_update")
def test_muon_update_momentum_is_an_ema_with_a_nesterov_lookahead(impl):
    """Two steps with g = 1, mu = 0.9, lr = 1, no decay, no shape scaling, identity NS: the buffer is
    0.1 then 0.19 (EMA, not the running sum 1, 1.9); without Nesterov the step is the buffer, with it
    (1 - mu) g + mu buf. float32: 0.1 is not exact in binary, so compare at 1e-6 (round-off ~1e-7)."""
    muon = impl("phase3_optim.muon")
    for nesterov, steps in [(False, (0.1, 0.19)), (True, (0.1 + 0.9 * 0.1, 0.1 + 0.9 * 0.19))]:
        p, buf, g = torch.zeros(2, 3), torch.zeros(2, 3), torch.ones(2, 3)
        buf_id = id(buf)
        muon.muon_update([p], [g], [buf], 1.0, 0.9, nesterov, 0.0, "none", identity)
        assert id(buf) == buf_id and torch.allclose(buf, torch.full((2, 3), 0.1)), \
            f"buffer {buf[0, 0].item():.4f} after one step of g=1, expected 0.1 = (1 - mu) * g: an EMA, in place"
        assert torch.allclose(p, torch.full((2, 3), -steps[0]), atol=1e-6), \
            f"nesterov={nesterov}: first step {-p[0, 0].item():.4f}, expected {steps[0]:.4f}"
        muon.muon_update([p], [g], [buf], 1.0, 0.9, nesterov, 0.0, "none", identity)
        assert torch.allclose(buf, torch.full((2, 3), 0.19)), f"buffer {buf[0, 0].item():.4f} after two steps"
        assert torch.allclose(p, torch.full((2, 3), -steps[0] - steps[1]), atol=1e-6), \
            (f"nesterov={nesterov}: second step {-p[0, 0].item() - steps[0]:.4f}, expected {steps[1]:.4f} "
             "(Nesterov looks ahead with (1 - mu) * g + mu * buf: the buffer is an EMA, so g weighs 1 - mu)")
        assert torch.equal(g, torch.ones(2, 3)), "the gradient was modified in place"


@pytest.mark.commit("3.2", "muon_update")
@pytest.mark.parametrize("shape, adjust_lr_fn, scale", [((8, 2), "original", 2.0), ((2, 8), "original", 1.0),
                                                        ((2, 8), "match_rms_adamw", 0.2 * 8 ** 0.5)])
def test_muon_update_decays_with_the_plain_lr_and_steps_with_the_shaped_lr(impl, shape, adjust_lr_fn, scale):
    """One step, identity NS, no momentum (mu = 0: the direction is the gradient): param * (1 - lr wd) -
    lr * scale * g, with scale = sqrt(max(1, out/in)) (Jordan) or 0.2 sqrt(max(out, in)) (Liu et al.),
    written here from the papers; the decay uses the plain lr. float64: round-off only, 1e-12."""
    muon = impl("phase3_optim.muon")
    gen = torch.Generator().manual_seed(4)
    p0 = torch.randn(shape, generator=gen, dtype=torch.float64)
    g = torch.randn(shape, generator=gen, dtype=torch.float64)
    p = p0.clone()
    lr, wd = 0.1, 0.5
    muon.muon_update([p], [g], [torch.zeros_like(g)], lr, 0.0, False, wd, adjust_lr_fn, identity)
    expected = p0 * (1 - lr * wd) - lr * scale * g
    torch.testing.assert_close(p, expected, rtol=0, atol=1e-12,
                               msg=lambda m: f"{shape} {adjust_lr_fn}: expected p*(1 - lr*wd) - lr*{scale:.3f}*O "
                               f"(the decay takes the plain lr, the step the shape-scaled one). {m}")


def muon_by_hand(params, grads_per_step, lr, momentum, nesterov, weight_decay, adjust_lr_fn):
    """Muon written out in float64 from the formulas of the module docstring (an independent oracle)."""
    bufs = [torch.zeros_like(p) for p in params]
    for grads in grads_per_step:
        for p, g, buf in zip(params, grads, bufs):
            buf.copy_(momentum * buf + (1 - momentum) * g)
            u = (1 - momentum) * g + momentum * buf if nesterov else buf
            out, inn = p.shape
            scale = math.sqrt(max(1.0, out / inn)) if adjust_lr_fn == "original" else 0.2 * math.sqrt(max(out, inn))
            p.copy_(p * (1 - lr * weight_decay) - lr * scale * quintic_ns_by_svd(u))
    return params


@pytest.mark.commit("3.2", "muon_update")
@pytest.mark.parametrize("adjust_lr_fn, nesterov", [("original", True), ("match_rms_adamw", False)])
def test_muon_in_float64_equals_muon_written_out_by_hand(impl, adjust_lr_fn, nesterov):
    """30 float64 steps agree to ~1e-12 (round-off only; NS amplifies it by at most ~490 per call)."""
    muon = impl("phase3_optim.muon")
    g = torch.Generator().manual_seed(3)
    shapes = [(32, 16), (16, 32), (24, 24), (24, 24)]
    ours = [torch.nn.Parameter(torch.randn(s, generator=g, dtype=torch.float64)) for s in shapes]
    start = [p.detach().clone() for p in ours]
    grads = [[torch.randn(s, generator=g, dtype=torch.float64) for s in shapes] for _ in range(30)]
    hp = dict(lr=0.02, momentum=0.95, nesterov=nesterov, weight_decay=0.1, adjust_lr_fn=adjust_lr_fn)
    opt = muon.Muon(ours, ns_dtype=torch.float64, eps=1e-30, **hp)  # eps: see the float64 NS test
    for step_grads in grads:
        for p, gr in zip(ours, step_grads):
            p.grad = gr.clone()
        opt.step()
    expected = muon_by_hand(start, grads, **hp)
    for a, b in zip(ours, expected):
        torch.testing.assert_close(a.detach(), b, rtol=0, atol=1e-9)


@pytest.mark.reference_only
@pytest.mark.commit("3.2", "muon_update")
@pytest.mark.skipif(not HAS_TORCH_MUON, reason="torch.optim.Muon needs torch >= 2.9")
@pytest.mark.parametrize("adjust_lr_fn, nesterov", [("original", True), ("match_rms_adamw", False)])
def test_reference_muon_equals_torch_muon_configured_alike(impl, adjust_lr_fn, nesterov):
    """Same hyper-parameters, NS in bf16 as torch does (torch's default coefficients, ours by default):
    our reference follows torch's op order, so 30 steps give bit-identical weights."""
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
        assert torch.equal(a, b)


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
