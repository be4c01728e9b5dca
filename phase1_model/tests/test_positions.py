"""Positions (commit 1.4): sinusoidal closed form; RoPE against its closed form, against the paper's
interleaved complex form up to a permutation, and its relative-position property."""

import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phase1_model.config import GPTConfig


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


def rope_closed_form(x: torch.Tensor, positions: list[int], base: float) -> torch.Tensor:
    """The oracle, in float64, pair by pair: channel i and i + d/2 rotated by position * base^(-2i/d)."""
    d = x.size(-1) // 2
    y = torch.empty_like(x, dtype=torch.float64)
    for t, p in enumerate(positions):
        for i in range(d):
            a = p * base ** (-2 * i / (2 * d))
            x1, x2 = x[..., t, i].double(), x[..., t, i + d].double()
            y[..., t, i] = x1 * math.cos(a) - x2 * math.sin(a)
            y[..., t, i + d] = x1 * math.sin(a) + x2 * math.cos(a)
    return y


def rope_interleaved_complex(x: torch.Tensor, positions: torch.Tensor, base: float) -> torch.Tensor:
    """The paper's form (Su et al. eq. 12-15, Meta's LLaMA code): channels (2i, 2i+1) are one complex
    number, multiplied by e^{j position theta_i}. In float64."""
    d = x.size(-1)
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angles = positions.double()[:, None] * theta
    z = torch.view_as_complex(x.double().reshape(*x.shape[:-1], d // 2, 2).contiguous())
    return torch.view_as_real(z * torch.polar(torch.ones_like(angles), angles)).flatten(-2)


def interleaved_to_half_split(d: int) -> torch.Tensor:
    """Permutation p with x_half = x_inter[..., p]: [0, 2, 4, ..., 1, 3, 5, ...]."""
    return torch.cat([torch.arange(0, d, 2), torch.arange(1, d, 2)])


@pytest.mark.commit("1.4", "rope")
@pytest.mark.parametrize("base", [10000.0, 100.0])
def test_rope_rotates_each_channel_pair_by_position_times_its_frequency(impl, base):
    positions = impl("phase1_model.positions")
    x = torch.randn(2, 3, 5, 8, generator=torch.Generator().manual_seed(0))
    pos = [0, 1, 7, 100, 3]  # any positions, in any order: each row is rotated by its own
    y = positions.rope(x, torch.tensor(pos), base)
    assert y.shape == x.shape and y.dtype == x.dtype, \
        f"rope must keep x's shape and dtype: got {tuple(y.shape)} {y.dtype} for {tuple(x.shape)} {x.dtype}"
    # float32 angles up to 100 rad carry ~1e-5 absolute error; a wrong frequency or sign is off by O(1)
    torch.testing.assert_close(y.double(), rope_closed_form(x, pos, base), atol=1e-4, rtol=1e-4,
                               msg=lambda m: f"pair (i, i + d/2) must be rotated by position * {base}^(-2i/d), "
                                             f"[x1 cos - x2 sin, x1 sin + x2 cos]\n{m}")


@pytest.mark.commit("1.4", "rope")
def test_half_split_rope_equals_the_papers_interleaved_rope_up_to_a_permutation(impl):
    positions = impl("phase1_model.positions")
    T, d = 6, 8
    x = torch.randn(2, 3, T, d, dtype=torch.float64)
    pos = torch.arange(3, 3 + T)
    perm = interleaved_to_half_split(d)
    torch.testing.assert_close(positions.rope(x[..., perm], pos, 500.0).double(),
                               rope_interleaved_complex(x, pos, 500.0)[..., perm], atol=1e-5, rtol=1e-5)


@pytest.mark.commit("1.4", "rope")
def test_rope_is_a_rotation_identity_at_position_zero_norm_preserving_and_invertible(impl):
    positions = impl("phase1_model.positions")
    x = torch.randn(1, 2, 9, 16)
    pos = torch.arange(9)
    y = positions.rope(x, pos)
    torch.testing.assert_close(y[:, :, 0], x[:, :, 0])
    torch.testing.assert_close(y.norm(dim=-1), x.norm(dim=-1))
    torch.testing.assert_close(positions.rope(y, -pos), x, atol=1e-5, rtol=1e-5,
                               msg=lambda m: "rope at -positions must undo rope at positions (R(m)^T = R(-m): the "
                                             f"model's backward pass relies on it)\n{m}")


@pytest.mark.commit("1.4", "rope")
def test_rope_keeps_bfloat16_and_computes_its_angles_in_float32(impl):
    positions = impl("phase1_model.positions")
    x = torch.randn(2, 4, 64, generator=torch.Generator().manual_seed(0))
    pos = torch.arange(1000, 1004)  # bf16 has 8 bits of mantissa: 1000.0 * theta_0 would be off by ~2 rad
    y = positions.rope(x.bfloat16(), pos)
    assert y.dtype == torch.bfloat16, f"rope must return x's dtype (bfloat16 here), got {y.dtype}"
    # the only bf16 error left is the rotation itself: a few times 2^-8 relative
    torch.testing.assert_close(y.float(), rope_closed_form(x.bfloat16().float(), pos.tolist(), 10000.0).float(),
                               atol=5e-2, rtol=5e-2,
                               msg=lambda m: "in bfloat16, position * theta must still be computed in float32 "
                                             f"(then cos and sin cast to x's dtype)\n{m}")


@pytest.mark.commit("1.4", "rope")
@pytest.mark.parametrize("shape, pos", [((2, 5, 7), torch.arange(5)), ((2, 5, 8), torch.arange(4))])
def test_rope_refuses_an_odd_head_dim_or_positions_of_the_wrong_length(impl, shape, pos):
    positions = impl("phase1_model.positions")
    with pytest.raises(ValueError):
        positions.rope(torch.randn(*shape), pos)


@pytest.mark.commit("1.4", "rope")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(m=st.integers(0, 40), n=st.integers(0, 40), shift=st.integers(0, 20), seed=st.integers(0, 2**16))
def test_rope_scores_depend_only_on_the_relative_offset(impl, m, n, shift, seed):
    positions = impl("phase1_model.positions")
    g = torch.Generator().manual_seed(seed)
    q, k = torch.randn(1, 16, generator=g, dtype=torch.float64), torch.randn(1, 16, generator=g, dtype=torch.float64)

    def score(i, j):  # rotated q at position i . rotated k at position j
        return (positions.rope(q, torch.tensor([i])) * positions.rope(k, torch.tensor([j]))).sum().item()

    assert score(m + shift, n + shift) == pytest.approx(score(m, n), abs=1e-4)  # float32 angles


def closed_form_tables(positions: list[int], d: int, base: float) -> tuple[torch.Tensor, torch.Tensor]:
    """The oracle's cos and sin, (T, d/2) float32, computed in float64 with math."""
    angles = [[p * base ** (-2 * i / d) for i in range(d // 2)] for p in positions]
    return (torch.tensor([[math.cos(a) for a in row] for row in angles], dtype=torch.float32),
            torch.tensor([[math.sin(a) for a in row] for row in angles], dtype=torch.float32))


@pytest.mark.commit("1.4", "rope")
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_rope_rotates_by_precomputed_cos_and_sin_tables(impl, dtype):
    positions = impl("phase1_model.positions")
    x = torch.randn(2, 3, 5, 8, generator=torch.Generator().manual_seed(3)).to(dtype)
    pos = [4, 0, 9, 2, 60]
    # base 10.0 passed while the tables were made for 500: with tables the base must not matter
    y = positions.rope(x, closed_form_tables(pos, 8, 500.0), 10.0)
    assert y.shape == x.shape and y.dtype == dtype, \
        f"rope with (cos, sin) tables must keep x's shape and dtype: got {tuple(y.shape)} {y.dtype}"
    # float32: rounding only; bfloat16: the tables are rounded to bf16 (8 bits) before the products
    tol = 1e-5 if dtype == torch.float32 else 2e-2
    torch.testing.assert_close(y.double(), rope_closed_form(x.double(), pos, 500.0), atol=tol, rtol=tol,
                               msg=lambda m: "rope(x, (cos, sin)) must rotate every pair by the given tables' "
                                             f"angles, exactly as rope(x, positions) would\n{m}")


@pytest.mark.commit("1.4", "rope")
def test_rope_tables_are_the_cos_and_sin_of_each_position_times_its_frequency(impl):
    positions = impl("phase1_model.positions")
    pos = [0, 1, 7, 100, 3]
    cos, sin = positions.rope_tables(torch.tensor(pos), 8, 100.0)  # made by rotating (1, 0) with your rope
    want_cos, want_sin = closed_form_tables(pos, 8, 100.0)
    assert cos.dtype == sin.dtype == torch.float32 and cos.shape == sin.shape == (5, 4)
    torch.testing.assert_close(cos, want_cos, atol=1e-5, rtol=1e-5)  # float32 angles and cos/sin
    torch.testing.assert_close(sin, want_sin, atol=1e-5, rtol=1e-5)


@pytest.mark.commit("1.4", "rope")
def test_attention_with_rope_is_invariant_to_shifting_every_position(impl, monkeypatch):
    # Scores depend on offsets only and values carry no position, so the same tokens at positions
    # 10..15 instead of 0..5 give the same outputs. (Rotating v as well would break this.)
    attention = impl("phase1_model.attention")
    # the module rotates q and k with positions.Rotate, which calls positions.rope: yours here
    monkeypatch.setattr("phase1_model.positions.rope", impl("phase1_model.positions").rope)
    torch.manual_seed(0)
    attn = attention.CausalSelfAttention(GPTConfig.from_lineage("llama", n_embd=32, n_head=4))
    x = torch.randn(2, 6, 32)
    torch.testing.assert_close(attn(x, torch.arange(6)), attn(x, torch.arange(10, 16)), atol=1e-5, rtol=1e-5,
                               msg=lambda m: "the same tokens at positions 10..15 instead of 0..5 must give the same "
                                             "attention output: RoPE rotates q and k only (q.k then depends on "
                                             f"the offset); values carry content, not position\n{m}")
    assert not torch.allclose(attn(x, torch.arange(6)), attn(x, torch.tensor([0, 1, 2, 3, 4, 9])), atol=1e-3), \
        "moving one token's position must change the outputs: are q and k rotated at all?"


@pytest.mark.commit("1.4")
def test_rotate_backward_is_the_rotation_by_the_opposite_angle():
    from phase1_model.positions import Rotate, rope
    pos = torch.arange(6)
    x = torch.randn(2, 3, 6, 8, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(lambda t: Rotate.apply(t, pos, 10000.0), (x,))  # against finite differences
    g = torch.randn(2, 3, 6, 8, dtype=torch.float64)
    ours, = torch.autograd.grad(Rotate.apply(x, pos, 10000.0), x, g)
    plain, = torch.autograd.grad(rope(x, pos), x, g)
    torch.testing.assert_close(ours, plain)


@pytest.mark.commit("1.4")
def test_rotate_backward_with_tables_is_the_rotation_by_the_opposite_angle():
    from phase1_model.positions import Rotate, rope
    tables = closed_form_tables([0, 1, 2, 30, 4, 5], 8, 10000.0)
    tables = tuple(t.double() for t in tables)
    x = torch.randn(2, 3, 6, 8, dtype=torch.float64, requires_grad=True)
    torch.autograd.gradcheck(lambda t: Rotate.apply(t, tables, 10000.0), (x,))  # against finite differences
    g = torch.randn(2, 3, 6, 8, dtype=torch.float64)
    ours, = torch.autograd.grad(Rotate.apply(x, tables, 10000.0), x, g)
    plain, = torch.autograd.grad(rope(x, tables), x, g)
    torch.testing.assert_close(ours, plain)
