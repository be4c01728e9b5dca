"""Self-attention (commit 1.2): from scratch == F.scaled_dot_product_attention == nn.MultiheadAttention."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from phase1_model.config import GPTConfig


def rand(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


@pytest.mark.commit("1.2", "causal_mask")
def test_causal_mask_is_lower_triangular_for_a_square(impl):
    attention = impl("phase1_model.attention")
    expected = torch.tensor([[i >= j for j in range(5)] for i in range(5)])
    assert torch.equal(attention.causal_mask(5), expected)


@pytest.mark.commit("1.2", "causal_mask")
def test_causal_mask_aligns_new_queries_to_the_end_of_the_cached_keys(impl):
    attention = impl("phase1_model.attention")
    # 2 new queries at positions 3 and 4, after 3 cached keys: query i sees keys 0 .. 3 + i
    expected = torch.tensor([[j <= 3 + i for j in range(5)] for i in range(2)])
    assert torch.equal(attention.causal_mask(2, 5), expected)
    assert attention.causal_mask(1, 7).all()  # one new token sees everything before it


@pytest.mark.commit("1.2", "attention")
def test_attention_equals_torch_sdpa_with_and_without_causal_mask(impl):
    attention = impl("phase1_model.attention")
    from phase1_model.attention import causal_mask  # the mask comes from the reference
    q, k, v = rand(2, 3, 6, 8, seed=1), rand(2, 3, 6, 8, seed=2), rand(2, 3, 6, 8, seed=3)
    out, _ = attention.scaled_dot_product_attention(q, k, v)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v))
    out, _ = attention.scaled_dot_product_attention(q, k, v, causal_mask(6))
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, is_causal=True))


@pytest.mark.commit("1.2", "attention")
def test_attention_with_cached_prefix_mask_equals_torch_sdpa(impl):
    attention = impl("phase1_model.attention")
    from phase1_model.attention import causal_mask
    q, k, v = rand(1, 2, 3, 4, seed=1), rand(1, 2, 7, 4, seed=2), rand(1, 2, 7, 4, seed=3)
    mask = causal_mask(3, 7)
    out, _ = attention.scaled_dot_product_attention(q, k, v, mask)
    torch.testing.assert_close(out, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))


@pytest.mark.commit("1.2", "attention")
def test_attention_weights_are_causal_probability_rows(impl):
    attention = impl("phase1_model.attention")
    from phase1_model.attention import causal_mask
    q, k, v = rand(1, 1, 5, 4, seed=1), rand(1, 1, 5, 4, seed=2), rand(1, 1, 5, 4, seed=3)
    _, w = attention.scaled_dot_product_attention(q, k, v, causal_mask(5))
    assert w.shape == (1, 1, 5, 5)
    torch.testing.assert_close(w.sum(-1), torch.ones(1, 1, 5))
    assert torch.all(w[0, 0].triu(diagonal=1) == 0)
    assert w[0, 0, 0, 0] == 1  # the first token can only look at itself


@pytest.mark.commit("1.2", "split_heads")
def test_split_heads_gives_each_head_its_own_channel_slice(impl):
    attention = impl("phase1_model.attention")
    x = rand(2, 5, 12)
    heads = attention.split_heads(x, 3)
    assert heads.shape == (2, 3, 5, 4)
    for h in range(3):
        torch.testing.assert_close(heads[:, h], x[..., 4 * h:4 * (h + 1)])


@pytest.mark.commit("1.2", "merge_heads")
def test_merge_heads_inverts_split_heads(impl):
    attention = impl("phase1_model.attention")
    from phase1_model.attention import split_heads
    x = rand(2, 5, 12)
    merged = attention.merge_heads(split_heads(x, 3))
    assert merged.shape == (2, 5, 12)
    torch.testing.assert_close(merged, x)


def check_against_multihead_attention(split, merge):
    torch.manual_seed(0)
    B, T, C, H = 2, 6, 16, 4
    mha = nn.MultiheadAttention(C, H, batch_first=True)
    x = torch.randn(B, T, C)
    q, k, v = F.linear(x, mha.in_proj_weight, mha.in_proj_bias).split(C, dim=-1)
    y = F.scaled_dot_product_attention(split(q, H), split(k, H), split(v, H), is_causal=True)
    ours = mha.out_proj(merge(y))
    theirs, _ = mha(x, x, x, attn_mask=nn.Transformer.generate_square_subsequent_mask(T), need_weights=False)
    torch.testing.assert_close(ours, theirs)


@pytest.mark.commit("1.2", "split_heads")
def test_multi_head_attention_with_our_split_equals_torch_multihead_attention(impl):
    from phase1_model.attention import merge_heads
    check_against_multihead_attention(impl("phase1_model.attention").split_heads, merge_heads)


@pytest.mark.commit("1.2", "merge_heads")
def test_multi_head_attention_with_our_merge_equals_torch_multihead_attention(impl):
    from phase1_model.attention import split_heads
    check_against_multihead_attention(split_heads, impl("phase1_model.attention").merge_heads)


# ---- the module: reference code, run in reference mode (and against debugging challenges) ----

def make_attn(impl, seed=0, **kw):
    attention = impl("phase1_model.attention")
    torch.manual_seed(seed)
    return attention.CausalSelfAttention(GPTConfig(**{"n_embd": 32, "n_head": 4, **kw}))


@pytest.mark.commit("1.2")
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


@pytest.mark.commit("1.2", "causal_mask")
@pytest.mark.parametrize("primitives", ["torch", "manual"])
def test_module_is_causal_and_a_chunk_after_a_cached_prefix_equals_the_full_pass(impl, primitives):
    # The module builds its masks with causal_mask: the manual path always, the sdpa path for a chunk
    # of several new tokens after a cached prefix (bottom-right aligned).
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
