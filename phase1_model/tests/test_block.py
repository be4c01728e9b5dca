"""The pre-norm block (commit 1.3), checked against torch's nn.TransformerEncoderLayer(norm_first=True)."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from phase1_model.config import GPTConfig


@pytest.mark.commit("1.3", "block_forward")
def test_gpt2_block_equals_torch_pre_norm_transformer_layer(impl):
    block = impl("phase1_model.block")
    torch.manual_seed(0)
    C, H, T = 32, 4, 6
    ours = block.Block(GPTConfig.from_lineage("gpt2", n_embd=C, n_head=H))
    theirs = nn.TransformerEncoderLayer(C, H, dim_feedforward=4 * C, dropout=0.0, batch_first=True, norm_first=True,
                                        activation=lambda x: F.gelu(x, approximate="tanh"))
    with torch.no_grad():  # same weights, torch's names
        theirs.self_attn.in_proj_weight.copy_(ours.attn.c_attn.weight)
        theirs.self_attn.in_proj_bias.copy_(ours.attn.c_attn.bias)
        theirs.self_attn.out_proj.load_state_dict(ours.attn.c_proj.state_dict())
        theirs.linear1.load_state_dict(ours.mlp.c_fc.state_dict())
        theirs.linear2.load_state_dict(ours.mlp.c_proj.state_dict())
        theirs.norm1.load_state_dict(ours.ln_1.state_dict())
        theirs.norm2.load_state_dict(ours.ln_2.state_dict())
    theirs.eval()  # the reference implementation's fast path is for inference only; keep the math path
    x = torch.randn(2, T, C)
    mask = nn.Transformer.generate_square_subsequent_mask(T)
    torch.testing.assert_close(ours(x), theirs(x, src_mask=mask, is_causal=True), atol=1e-5, rtol=1e-5)


@pytest.mark.commit("1.3", "block_forward")
def test_block_with_zero_output_projections_is_the_identity(impl):
    block = impl("phase1_model.block")
    b = block.Block(GPTConfig.from_lineage("nanochat", n_embd=32, n_head=4))
    with torch.no_grad():
        b.attn.c_proj.weight.zero_()
        b.mlp.c_proj.weight.zero_()
    x = torch.randn(2, 5, 32)
    torch.testing.assert_close(b(x), x)  # pre-norm keeps a clean residual path


@pytest.mark.commit("1.3", "block_forward")
def test_pre_norm_block_output_scales_with_its_input(impl):
    # pre-norm: only the sub-layers see the normalised input; the residual carries x itself, so a large
    # input stays large (post-norm would return a unit-scale output).
    block = impl("phase1_model.block")
    torch.manual_seed(0)
    b = block.Block(GPTConfig.from_lineage("llama", n_embd=32, n_head=4))
    x = torch.randn(1, 4, 32) * 100
    assert b(x).std() > 50


@pytest.mark.commit("1.3", "block_forward")
def test_a_stack_of_blocks_with_a_kv_cache_equals_the_full_pass(impl):
    # Each block must hand its own layer_idx to attention: the cache keeps one slot per layer, and a
    # block that writes another layer's slot corrupts the keys the next chunk reads.
    from phase1_model.generate import KVCache
    block = impl("phase1_model.block")
    torch.manual_seed(0)
    cfg = GPTConfig.from_lineage("llama", n_embd=32, n_head=4, n_kv_head=2)
    blocks = [block.Block(cfg).eval() for _ in range(3)]
    x = torch.randn(1, 12, 32)

    def run(x, t0, cache=None):
        positions = torch.arange(t0, t0 + x.size(1))  # RoPE positions of this chunk
        for i, b in enumerate(blocks):
            x = b(x, positions, cache, i)
        if cache is not None:
            cache.advance(x.size(1))
        return x

    full = run(x, 0)
    cache = KVCache(3, 12)
    chunks = [run(x[:, a:b], a, cache) for a, b in ((0, 5), (5, 8), (8, 9), (9, 12))]
    torch.testing.assert_close(torch.cat(chunks, 1), full, atol=1e-5, rtol=1e-5)
