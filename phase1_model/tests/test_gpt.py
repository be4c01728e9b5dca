"""The GPT (commit 1.5): init, forward and loss, FLOPs, KV-cache generation, checkpoints."""

import math

import pytest
import torch
import torch.nn.functional as F

import phase1_model.gpt as reference
from phase1_model.config import GPTConfig

LINEAGES = ["gpt2", "llama", "nanochat"]


def tiny(lineage="gpt2", **kw):
    return GPTConfig.from_lineage(lineage, **{"vocab_size": 97, "block_size": 16, "n_layer": 2, "n_head": 4,
                                              "n_embd": 32, **kw})


def build(impl, cfg, monkeypatch=None, seed=0):
    """The GPT class under test; with monkeypatch, its init comes from the reference (tests of other exercises)."""
    gpt = impl("phase1_model.gpt")
    if monkeypatch is not None:
        monkeypatch.setattr(gpt.GPT, "init_weights", reference.GPT.init_weights)
    torch.manual_seed(seed)
    return gpt.GPT(cfg)


# ---- init_weights -------------------------------------------------------------------------------

@pytest.mark.commit("1.5", "init_weights")
def test_gpt2_init_uses_std_002_and_scales_residual_projections(impl):
    cfg = tiny("gpt2", n_layer=8, n_embd=128, vocab_size=512)
    model = build(impl, cfg)
    block = model.transformer.h[3]
    assert block.attn.c_attn.weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert model.transformer.wpe.weight.std().item() == pytest.approx(0.02, rel=0.1)
    for proj in (block.attn.c_proj, block.mlp.c_proj):
        assert proj.weight.std().item() == pytest.approx(0.02 / math.sqrt(2 * 8), rel=0.1)
        assert torch.all(proj.bias == 0)
    assert torch.all(block.ln_1.weight == 1) and torch.all(block.ln_1.bias == 0)
    assert model.lm_head.weight is model.transformer.wte.weight


@pytest.mark.commit("1.5", "init_weights")
def test_nanochat_init_zeroes_the_head_and_residual_projections_so_loss_is_exactly_ln_vocab(impl):
    model = build(impl, tiny("nanochat"))
    assert torch.all(model.lm_head.weight == 0)
    for b in model.transformer.h:
        assert torch.all(b.attn.c_proj.weight == 0) and torch.all(b.mlp.c_proj.weight == 0)
    assert model.transformer.wte.weight.std().item() == pytest.approx(1.0, rel=0.1)
    c_fc = model.transformer.h[0].mlp.c_fc.weight  # fan_in 32, fan_out 128: std = 1/sqrt(32)
    assert c_fc.std().item() == pytest.approx(1 / math.sqrt(32), rel=0.1)
    idx = torch.randint(0, 97, (2, 16))
    _, loss = reference.GPT.forward(model, idx, idx)
    assert loss.item() == pytest.approx(math.log(97), abs=1e-5)


@pytest.mark.commit("1.5", "init_weights")
@pytest.mark.parametrize("lineage", ["gpt2", "llama"])
def test_loss_at_init_is_close_to_ln_vocab(impl, lineage):
    model = build(impl, tiny(lineage, vocab_size=512, n_embd=64))
    g = torch.Generator().manual_seed(1)
    idx, targets = torch.randint(0, 512, (4, 16), generator=g), torch.randint(0, 512, (4, 16), generator=g)
    _, loss = reference.GPT.forward(model, idx, targets)
    assert abs(loss.item() - math.log(512)) < 0.1


# ---- forward ------------------------------------------------------------------------------------

@pytest.mark.commit("1.5", "gpt_forward")
@pytest.mark.parametrize("lineage", LINEAGES)
def test_forward_matches_the_reference_model_with_the_same_weights(impl, monkeypatch, lineage):
    cfg = tiny(lineage)
    ours, ref = build(impl, cfg, monkeypatch), reference.GPT(cfg)
    if lineage == "nanochat":  # zero-initialised head would hide mistakes: give it weights
        torch.nn.init.normal_(ref.lm_head.weight, std=1.0)
        for b in ref.transformer.h:
            torch.nn.init.normal_(b.attn.c_proj.weight, std=0.1)
    ours.load_state_dict(ref.state_dict())
    idx = torch.randint(0, 97, (2, 16))
    logits, loss = ours(idx, idx)
    ref_logits, ref_loss = ref(idx, idx)
    assert logits.shape == (2, 16, 97) and logits.dtype == torch.float32
    torch.testing.assert_close(logits, ref_logits)
    torch.testing.assert_close(loss, ref_loss)
    assert ours(idx)[1] is None


@pytest.mark.commit("1.5", "gpt_forward")
def test_loss_is_mean_cross_entropy_skipping_ignore_index(impl, monkeypatch):
    model = build(impl, tiny(), monkeypatch)
    idx, targets = torch.randint(0, 97, (2, 16)), torch.randint(0, 97, (2, 16))
    targets[0, :5] = -1
    logits, loss = model(idx, targets)
    keep = targets != -1
    torch.testing.assert_close(loss, F.cross_entropy(logits[keep], targets[keep]))


@pytest.mark.commit("1.5", "gpt_forward")
def test_nanochat_logits_are_soft_capped(impl, monkeypatch):
    model = build(impl, tiny("nanochat"), monkeypatch)
    torch.nn.init.normal_(model.lm_head.weight, std=10.0)
    logits, _ = model(torch.randint(0, 97, (1, 16)))
    assert logits.abs().max().item() <= 15.0
    assert logits.abs().max().item() > 10.0  # the cap bends big logits; it does not clip small ones to zero


@pytest.mark.commit("1.5", "gpt_forward")
@pytest.mark.parametrize("lineage", LINEAGES)
def test_gpt_is_causal_future_tokens_do_not_change_past_logits(impl, monkeypatch, lineage):
    model = build(impl, tiny(lineage), monkeypatch)
    if lineage == "nanochat":
        torch.nn.init.normal_(model.lm_head.weight)
        for b in model.transformer.h:
            torch.nn.init.normal_(b.attn.c_proj.weight, std=0.1)
    a = torch.randint(0, 97, (1, 12))
    b = a.clone()
    b[0, 8:] = (b[0, 8:] + 1) % 97
    torch.testing.assert_close(model(a)[0][:, :8], model(b)[0][:, :8])
    assert not torch.allclose(model(a)[0][:, 8:], model(b)[0][:, 8:])


# ---- flops_per_token ----------------------------------------------------------------------------

@pytest.mark.commit("1.5", "flops_per_token")
@pytest.mark.parametrize("lineage", ["gpt2", "llama"])
def test_flops_per_token_matches_torch_flop_counter_on_forward_and_backward(impl, monkeypatch, lineage):
    from torch.utils.flop_counter import FlopCounterMode
    cfg = tiny(lineage, attention_impl="manual", vocab_size=256, n_embd=64)  # manual: plain matmuls to count
    model = build(impl, cfg, monkeypatch)
    idx = torch.randint(0, 256, (2, 16))
    with FlopCounterMode(display=False) as counter:
        reference.GPT.forward(model, idx, idx)[1].backward()
    measured = counter.get_total_flops() / idx.numel()
    assert model.flops_per_token() == pytest.approx(measured, rel=0.03)  # 6N counts biases/norm weights too


@pytest.mark.commit("1.5", "flops_per_token")
def test_flops_per_token_of_gpt2_small_at_1024_tokens(impl, monkeypatch):
    # nanoGPT's estimate_mfu: 6 * 123.65M (non-wpe params) + 12 * 12 * 768 * 1024
    with torch.device("meta"):
        model = build(impl, GPTConfig.from_lineage("gpt2", vocab_size=50257, block_size=1024, n_layer=12, n_head=12,
                                                   n_embd=768), monkeypatch)
    assert model.flops_per_token() == 6 * (124_439_808 - 1024 * 768) + 12 * 12 * 768 * 1024


# ---- generation with a KV cache (reference code; also run against the debugging challenges) ------

@pytest.mark.commit("1.5")
@pytest.mark.parametrize("lineage", LINEAGES)
def test_kv_cache_gives_the_same_tokens_as_full_recompute(impl, lineage):
    model = build(impl, tiny(lineage, n_kv_head=2))
    if lineage == "nanochat":
        torch.nn.init.normal_(model.lm_head.weight)
        for b in model.transformer.h:
            torch.nn.init.normal_(b.attn.c_proj.weight, std=0.1)
    prompt = torch.randint(0, 97, (2, 5))
    for kw in (dict(temperature=0.0), dict(temperature=1.0, top_k=20, seed=7), dict(top_p=0.9, seed=3)):
        # 14 new tokens: past block_size=16, so the cache also has to refill correctly
        with_cache = model.generate(prompt, 14, use_cache=True, **kw)
        without = model.generate(prompt, 14, use_cache=False, **kw)
        assert torch.equal(with_cache, without), kw
        assert with_cache.shape == (2, 19) and torch.equal(with_cache[:, :5], prompt)


@pytest.mark.commit("1.5")
def test_cached_logits_equal_full_forward_logits(impl):
    from phase1_model.generate import KVCache
    model = build(impl, tiny("llama")).eval()
    idx = torch.randint(0, 97, (1, 12))
    full, _ = model(idx)
    cache = KVCache(model.config.n_layer, model.config.block_size)
    first, _ = model(idx[:, :7], kv_cache=cache)       # a prefill chunk
    second, _ = model(idx[:, 7:10], kv_cache=cache)    # a chunk after a cached prefix
    steps = [model(idx[:, t:t + 1], kv_cache=cache)[0] for t in (10, 11)]  # one token at a time
    torch.testing.assert_close(torch.cat([first, second, *steps], dim=1), full, atol=1e-5, rtol=1e-5)


@pytest.mark.commit("1.5")
def test_generation_is_reproducible_with_a_seed_and_leaves_training_mode_alone():
    model = reference.GPT(tiny()).train()
    prompt = torch.zeros(1, 1, dtype=torch.long)
    assert torch.equal(model.generate(prompt, 10, seed=1), model.generate(prompt, 10, seed=1))
    assert model.training


@pytest.mark.commit("1.5")
def test_attention_weights_for_the_visualiser_are_causal_distributions():
    model = reference.GPT(tiny("llama"))
    w = model.get_attention_weights(torch.randint(0, 97, (10,)), layer=-1)
    assert w.shape == (4, 10, 10)
    torch.testing.assert_close(w.sum(-1), torch.ones(4, 10))
    assert torch.all(w.triu(diagonal=1) == 0)


@pytest.mark.commit("1.5")
def test_too_long_input_names_block_size():
    with pytest.raises(ValueError, match="block_size=16"):
        reference.GPT(tiny())(torch.zeros(1, 17, dtype=torch.long))


@pytest.mark.commit("1.5")
def test_bf16_autocast_forward_returns_float32_logits():
    model = reference.GPT(tiny("nanochat"))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits, loss = model(torch.randint(0, 97, (1, 8)), torch.randint(0, 97, (1, 8)))
    assert logits.dtype == torch.float32 and torch.isfinite(loss)


# ---- checkpoints --------------------------------------------------------------------------------

@pytest.mark.commit("1.5")
def test_checkpoint_round_trip_gives_the_same_logits(tmp_path):
    model = reference.GPT(tiny("llama"))
    torch.save(model.checkpoint_state(tokenizer="tok.json"), tmp_path / "m.pt")
    loaded = reference.GPT.from_checkpoint(tmp_path / "m.pt")
    idx = torch.randint(0, 97, (1, 8))
    torch.testing.assert_close(loaded(idx)[0], model(idx)[0])
    assert loaded.config == model.config


@pytest.mark.commit("1.5")
def test_a_phase2_trainer_checkpoint_loads_by_its_model_config(tmp_path):
    # The trainer keeps its TrainConfig under "config" and the model's under "model_config".
    model = reference.GPT(tiny("gpt2"))
    state = {"config": {"batch_size": 4, "lr": 1e-3}, "model_config": model.config.to_dict(),
             "model": model.state_dict()}
    loaded = reference.GPT.from_checkpoint(state)
    idx = torch.randint(0, 97, (1, 8))
    torch.testing.assert_close(loaded(idx)[0], model(idx)[0])


@pytest.mark.commit("1.5")
def test_loading_with_the_wrong_config_names_the_differing_fields(tmp_path):
    torch.save(reference.GPT(tiny()).checkpoint_state(), tmp_path / "m.pt")
    with pytest.raises(reference.CheckpointError, match="n_layer: 2 != 3"):
        reference.GPT.from_checkpoint(tmp_path / "m.pt", config=tiny(n_layer=3))
    with pytest.raises(reference.CheckpointError, match="no checkpoint at"):
        reference.GPT.from_checkpoint(tmp_path / "missing.pt")


@pytest.mark.commit("1.5")
def test_mis_shaped_weights_are_named_in_the_error():
    state = reference.GPT(tiny()).state_dict()
    expected = r"transformer.wte.weight: checkpoint \(97, 32\) vs model \(128, 32\)"
    with pytest.raises(reference.CheckpointError, match=expected):
        reference.load_weights(reference.GPT(tiny(vocab_size=128)), state)
