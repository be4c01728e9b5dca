"""Self-attention (commit 1.2): from scratch == F.scaled_dot_product_attention == nn.MultiheadAttention."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from phase1_model.config import GPTConfig


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# ---- multi_head_attention: the from-scratch function, against torch's kernels ---------------------

def per_head(t: torch.Tensor, n_heads: int) -> torch.Tensor:
    """The oracle's head split, by explicit slicing: (B, T, n_heads * hd) -> (B, n_heads, T, hd), head h
    = channels h*hd .. (h+1)*hd - 1."""
    hd = t.size(-1) // n_heads
    return torch.stack([t[..., h * hd:(h + 1) * hd] for h in range(n_heads)], dim=1)


def per_token(t: torch.Tensor) -> torch.Tensor:
    """The oracle's head merge: (B, H, T, hd) -> (B, T, H * hd), head h in channels h*hd .. (h+1)*hd - 1."""
    return torch.cat([t[:, h] for h in range(t.size(1))], dim=-1)


def bottom_right_mask(T_q: int, T_k: int) -> torch.Tensor:
    """True where query i (position T_k - T_q + i) may see key j, from position indices."""
    return torch.arange(T_k)[None, :] <= torch.arange(T_k - T_q, T_k)[:, None]


# float32, the same maths in another order than torch's kernel: ~1e-6 apart. 1e-5 is far below any
# modelling mistake (a wrong scale, mask, head or softmax axis moves outputs by O(0.1)).
TOL = dict(atol=1e-5, rtol=1e-5)


@pytest.mark.commit("1.2", "multi_head_attention")
@pytest.mark.parametrize("B, T_q, T_k, H, H_kv, hd", [
    (2, 6, 6, 3, 3, 8),    # training: every query sees itself and the past
    (1, 3, 7, 4, 4, 4),    # a chunk of 3 new queries after 4 cached keys
    (2, 1, 5, 2, 2, 8),    # decoding one token: it sees every cached key
    (2, 5, 5, 4, 2, 4),    # GQA: two query heads per key/value head
    (1, 4, 9, 6, 1, 4),    # MQA after a cached prefix
])
def test_multi_head_attention_equals_torch_sdpa_per_head(impl, B, T_q, T_k, H, H_kv, hd):
    attention = impl("phase1_model.attention")
    q, k, v = rand(B, T_q, H * hd, seed=1), rand(B, T_k, H_kv * hd, seed=2), rand(B, T_k, H_kv * hd, seed=3)
    y, weights = attention.multi_head_attention(q, k, v, H)
    assert y.shape == (B, T_q, H * hd), f"y must be (B, T_q, n_head * head_dim), got {tuple(y.shape)}"
    assert weights.shape == (B, H, T_q, T_k), \
        f"weights must be (B, n_head, T_q, T_k) = {(B, H, T_q, T_k)}, got {tuple(weights.shape)}"
    kh, vh = per_head(k, H_kv), per_head(v, H_kv)
    expected = F.scaled_dot_product_attention(per_head(q, H), kh, vh, attn_mask=bottom_right_mask(T_q, T_k),
                                              enable_gqa=H_kv != H)
    torch.testing.assert_close(y, per_token(expected), **TOL,
                               msg=lambda m: "y differs from torch's scaled_dot_product_attention run head by "
                                             "head (head h = channels h*hd..(h+1)*hd-1; query i sees keys j <= "
                                             f"i + T_k - T_q; GQA: query head h reads kv head h // (H // H_kv))\n{m}")


@pytest.mark.commit("1.2", "multi_head_attention")
def test_attention_weights_are_the_masked_softmax_of_scaled_scores(impl):
    attention = impl("phase1_model.attention")
    B, T_q, T_k, H, hd = 1, 3, 5, 2, 4
    q, k, v = rand(B, T_q, H * hd, seed=4), rand(B, T_k, H * hd, seed=5), rand(B, T_k, H * hd, seed=6)
    _, w = attention.multi_head_attention(q, k, v, H)
    torch.testing.assert_close(w.sum(-1), torch.ones(B, H, T_q))
    assert torch.all(w[..., ~bottom_right_mask(T_q, T_k)] == 0), "masked (future) keys must get weight exactly 0"
    for h in range(H):  # straight line, one head at a time, in float64
        qh, kh = q[0, :, h * hd:(h + 1) * hd].double(), k[0, :, h * hd:(h + 1) * hd].double()
        scores = (qh @ kh.T / math.sqrt(hd)).masked_fill(~bottom_right_mask(T_q, T_k), float("-inf"))
        torch.testing.assert_close(w[0, h].double(), torch.softmax(scores, -1), **TOL,
                                   msg=lambda m, h=h: f"weights of head {h} are not softmax(q k^T / sqrt(head_dim)) "
                                                 f"with the causal mask\n{m}")


@pytest.mark.commit("1.2", "multi_head_attention")
def test_multi_head_attention_inside_torch_multihead_attention_gives_its_output(impl):
    # nn.MultiheadAttention: in_proj, causal attention per head, out_proj. Put ours in the middle.
    attention = impl("phase1_model.attention")
    torch.manual_seed(0)
    B, T, C, H = 2, 6, 16, 4
    mha = nn.MultiheadAttention(C, H, batch_first=True)
    x = torch.randn(B, T, C)
    q, k, v = F.linear(x, mha.in_proj_weight, mha.in_proj_bias).split(C, dim=-1)  # non-contiguous views
    y, _ = attention.multi_head_attention(q, k, v, H)
    theirs, _ = mha(x, x, x, attn_mask=nn.Transformer.generate_square_subsequent_mask(T), need_weights=False)
    torch.testing.assert_close(mha.out_proj(y), theirs, **TOL)


@pytest.mark.commit("1.2", "multi_head_attention")
def test_multi_head_attention_is_differentiable_and_uses_only_our_primitives(impl, monkeypatch):
    # primitives="manual" promises a forward made of the course's own code: no torch softmax or fused kernel.
    attention = impl("phase1_model.attention")

    def refuse(*args, **kwargs):
        raise AssertionError("multi_head_attention must use phase1_model.softmax.softmax (commit 1.1), "
                             "not torch's softmax or fused attention")
    for name in ("softmax", "log_softmax", "scaled_dot_product_attention"):
        monkeypatch.setattr(F, name, refuse)
    monkeypatch.setattr(torch, "softmax", refuse)
    monkeypatch.setattr(torch.Tensor, "softmax", refuse)
    q, k, v = (rand(1, 4, 8, seed=s).requires_grad_() for s in (7, 8, 9))
    y, _ = attention.multi_head_attention(q, k, v, 2)
    y.sum().backward()
    assert all(t.grad is not None and torch.isfinite(t.grad).all() for t in (q, k, v))


@pytest.mark.commit("1.2")
def test_causal_mask_is_bottom_right_aligned():
    from phase1_model.attention import causal_mask
    assert torch.equal(causal_mask(5), torch.ones(5, 5, dtype=torch.bool).tril())
    assert torch.equal(causal_mask(2, 5), bottom_right_mask(2, 5))
    assert causal_mask(1, 7).all()  # one new token sees everything before it


# ---- the module: reference code; its manual path runs multi_head_attention (yours, when tagged) ----

def make_attn(impl, seed=0, **kw):
    attention = impl("phase1_model.attention")
    torch.manual_seed(seed)
    return attention.CausalSelfAttention(GPTConfig(**{"n_embd": 32, "n_head": 4, **kw}))


@pytest.mark.commit("1.2", "multi_head_attention")
@pytest.mark.parametrize("kw", [dict(), dict(n_kv_head=2), dict(n_kv_head=1), dict(qk_norm=True, bias=False)])
def test_sdpa_fast_path_equals_the_manual_path(impl, kw):
    fast = make_attn(impl, **kw)
    manual = make_attn(impl, primitives="manual", **kw)
    manual.load_state_dict(fast.state_dict())
    x = rand(2, 7, 32)
    torch.testing.assert_close(fast(x), manual(x), atol=1e-5, rtol=1e-5)


@pytest.mark.commit("1.2")
@pytest.mark.parametrize("primitives", ["torch", "manual"])
def test_changing_a_future_token_never_changes_past_outputs(impl, primitives):
    attn = make_attn(impl, primitives=primitives)
    x = rand(1, 6, 32)
    y = x.clone()
    y[:, 4:] = rand(1, 2, 32, seed=9)
    torch.testing.assert_close(attn(x)[:, :4], attn(y)[:, :4])
    assert not torch.allclose(attn(x)[:, 4:], attn(y)[:, 4:])


@pytest.mark.commit("1.2")
def test_gqa_equals_full_attention_with_each_kv_head_repeated(impl):
    gqa = make_attn(impl, n_kv_head=2)
    mha = make_attn(impl)
    C, hd = 32, 8
    wq, wk, wv = gqa.c_attn.weight.split([C, 2 * hd, 2 * hd])
    bq, bk, bv = gqa.c_attn.bias.split([C, 2 * hd, 2 * hd])
    rep = lambda w: w.view(2, hd, *w.shape[1:]).repeat_interleave(2, dim=0).reshape(4 * hd, *w.shape[1:])
    with torch.no_grad():
        mha.c_attn.weight.copy_(torch.cat([wq, rep(wk), rep(wv)]))
        mha.c_attn.bias.copy_(torch.cat([bq, rep(bk), rep(bv)]))
        mha.c_proj.load_state_dict(gqa.c_proj.state_dict())
    x = rand(2, 5, 32)
    torch.testing.assert_close(gqa(x), mha(x), atol=1e-5, rtol=1e-5)


@pytest.mark.commit("1.2")
@pytest.mark.parametrize("kw", [dict(), dict(n_kv_head=2, qk_norm=True)])
def test_attention_weights_match_the_softmax_of_the_module(impl, kw):
    # oracle: softmax(q k^T / sqrt(d)) per head, causal, from the module's own c_attn weights
    attn = make_attn(impl, **kw)
    x = rand(1, 5, 32)
    w = attn.attention_weights(x)
    assert w.shape == (1, 4, 5, 5)
    q, k, _ = F.linear(x, attn.c_attn.weight, attn.c_attn.bias).split(attn.sizes, dim=-1)
    n_rep = 4 // attn.n_kv_head
    for h in range(4):
        qh, kh = q[0, :, 8 * h:8 * h + 8], k[0, :, 8 * (h // n_rep):8 * (h // n_rep) + 8]
        if attn.qk_norm:
            qh, kh = F.rms_norm(qh, (8,)), F.rms_norm(kh, (8,))
        scores = (qh @ kh.T / 8 ** 0.5).masked_fill(torch.ones(5, 5, dtype=torch.bool).triu(1), float("-inf"))
        torch.testing.assert_close(w[0, h], scores.softmax(-1))


def check_chunk_after_a_cached_prefix_equals_the_full_pass(impl, primitives):
    # The manual path builds its mask inside multi_head_attention, the fast path passes causal_mask for a
    # chunk of several new tokens after a cached prefix (bottom-right aligned).
    from phase1_model.generate import KVCache
    attn = make_attn(impl, primitives=primitives).eval()
    x = rand(1, 9, 32)
    y = x.clone()
    y[:, 6:] = rand(1, 3, 32, seed=9)
    full = attn(x)
    torch.testing.assert_close(full[:, :6], attn(y)[:, :6])  # the future never leaks into the past
    cache = KVCache(1, 9)
    head = attn(x[:, :4], kv_cache=cache)
    cache.advance(4)
    tail = attn(x[:, 4:], kv_cache=cache)  # 5 new queries after 4 cached keys
    torch.testing.assert_close(torch.cat([head, tail], 1), full, atol=1e-5, rtol=1e-5)


@pytest.mark.commit("1.2", "multi_head_attention")
def test_manual_module_is_causal_and_a_chunk_after_a_cached_prefix_equals_the_full_pass(impl):
    check_chunk_after_a_cached_prefix_equals_the_full_pass(impl, "manual")


@pytest.mark.commit("1.2")
def test_fast_module_is_causal_and_a_chunk_after_a_cached_prefix_equals_the_full_pass(impl):
    check_chunk_after_a_cached_prefix_equals_the_full_pass(impl, "torch")
