"""Positions (commit 1.4): sinusoidal closed form, RoPE cache, half-split == interleaved up to a
permutation, and the relative-position property of RoPE."""

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phase1_model.config import GPTConfig
from phase1_model.positions import apply_rotary_emb_interleaved, interleaved_to_half_split, rope_cache


@pytest.mark.commit("1.4", "sinusoidal")
def test_sinusoidal_table_matches_vaswani_closed_form(impl):
    positions = impl("phase1_model.positions")
    T, C = 7, 10
    pe = positions.sinusoidal_embedding(T, C)
    assert pe.shape == (T, C)
    for t in range(T):
        for i in range(C // 2):
            angle = t / 10000 ** (2 * i / C)
            assert pe[t, 2 * i].item() == pytest.approx(math.sin(angle), abs=1e-5)
            assert pe[t, 2 * i + 1].item() == pytest.approx(math.cos(angle), abs=1e-5)


@pytest.mark.commit("1.4", "rope_cache")
def test_rope_cache_holds_cos_and_sin_of_position_times_frequency(impl):
    positions = impl("phase1_model.positions")
    cos, sin = positions.rope_cache(5, 8, base=100.0)
    assert cos.shape == (5, 4) and sin.shape == (5, 4), \
        f"cos and sin must be (T, head_dim // 2) = (5, 4); got {tuple(cos.shape)} and {tuple(sin.shape)}"
    assert cos.dtype == sin.dtype == torch.float32, \
        f"rope_cache must return float32 tables (got {cos.dtype}): build the angles with dtype=torch.float32"
    for t in range(5):
        for i in range(4):
            theta = 100.0 ** (-2 * i / 8)
            assert cos[t, i].item() == pytest.approx(math.cos(t * theta), abs=1e-6)
            assert sin[t, i].item() == pytest.approx(math.sin(t * theta), abs=1e-6)


@pytest.mark.commit("1.4", "apply_rope")
def test_half_split_rope_equals_the_papers_interleaved_rope_up_to_a_permutation(impl):
    positions = impl("phase1_model.positions")
    T, d = 6, 8
    cos, sin = rope_cache(T, d)
    x = torch.randn(2, 3, T, d)
    perm = interleaved_to_half_split(d)
    torch.testing.assert_close(positions.apply_rotary_emb(x[..., perm], cos, sin),
                               apply_rotary_emb_interleaved(x, cos, sin)[..., perm])


@pytest.mark.commit("1.4", "apply_rope")
def test_rope_is_a_rotation_identity_at_position_zero_and_norm_preserving(impl):
    positions = impl("phase1_model.positions")
    cos, sin = rope_cache(9, 16)
    x = torch.randn(1, 2, 9, 16)
    y = positions.apply_rotary_emb(x, cos, sin)
    torch.testing.assert_close(y[:, :, 0], x[:, :, 0])
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1))
    assert positions.apply_rotary_emb(x.bfloat16(), cos, sin).dtype == torch.bfloat16


@pytest.mark.commit("1.4", "apply_rope")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=st.integers(0, 40), n=st.integers(0, 40), shift=st.integers(0, 20), seed=st.integers(0, 2**16))
def test_rope_scores_depend_only_on_the_relative_offset(impl, m, n, shift, seed):
    positions = impl("phase1_model.positions")
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(16, generator=g, dtype=torch.float64), torch.randn(16, generator=g, dtype=torch.float64)
    cos, sin = (t.double() for t in rope_cache(64, 16))

    def score(i, j):  # rotated q at position i . rotated k at position j
        qi = positions.apply_rotary_emb(q[None], cos[i:i + 1], sin[i:i + 1])
        kj = positions.apply_rotary_emb(k[None], cos[j:j + 1], sin[j:j + 1])
        return (qi * kj).sum().item()

    assert score(m + shift, n + shift) == pytest.approx(score(m, n), abs=1e-4)  # float32 angles


@pytest.mark.commit("1.4", "apply_rope")
def test_attention_with_rope_is_invariant_to_shifting_every_position(impl, monkeypatch):
    # Scores depend on offsets only and values carry no position, so the same tokens at positions
    # 10..15 instead of 0..5 give the same outputs. (Rotating v as well would break this.)
    attention = impl("phase1_model.attention")
    # the module rotates q and k with positions.Rotate, which calls positions.apply_rotary_emb: yours here
    monkeypatch.setattr("phase1_model.positions.apply_rotary_emb", impl("phase1_model.positions").apply_rotary_emb)
    torch.manual_seed(0)
    attn = attention.CausalSelfAttention(GPTConfig.from_lineage("llama", n_embd=32, n_head=4))
    cos, sin = rope_cache(32, 8)
    x = torch.randn(2, 6, 32)
    torch.testing.assert_close(attn(x, (cos[:6], sin[:6])), attn(x, (cos[10:16], sin[10:16])), atol=1e-5, rtol=1e-5)


@pytest.mark.commit("1.4")
def test_rotate_backward_is_the_rotation_by_the_opposite_angle():
    from phase1_model.positions import Rotate, apply_rotary_emb
    cos, sin = (t.double() for t in rope_cache(6, 8))
    x = torch.randn(2, 3, 6, 8, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(lambda t: Rotate.apply(t, cos, sin), (x,))  # against finite differences
    g = torch.randn(2, 3, 6, 8, dtype=torch.float64)
    ours, = torch.autograd.grad(Rotate.apply(x, cos, sin), x, g)
    plain, = torch.autograd.grad(apply_rotary_emb(x, cos, sin), x, g)
    torch.testing.assert_close(ours, plain)
