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


def build(impl, cfg, seed=0):
    """The GPT class under test. The impl fixture gives a hybrid module: only the tagged exercise's region
    is the learner's code, every other region (init_weights, gpt_head, ...) is the reference."""
    gpt = impl("phase1_model.gpt")
    torch.manual_seed(seed)
    return gpt.GPT(cfg)


# ---- init_weights -------------------------------------------------------------------------------

@pytest.mark.commit("1.5", "scale_residual_projections")
def test_gpt2_init_uses_std_002_and_scales_residual_projections(impl):
    cfg = tiny("gpt2", n_layer=8, n_embd=128, vocab_size=512)
    model = build(impl, cfg)
    block = model.transformer.h[3]
    assert block.attn.c_attn.weight.std().item() == pytest.approx(0.02, rel=0.05)
    assert model.transformer.wpe.weight.std().item() == pytest.approx(0.02, rel=0.1)
    # 128 x 128 = 16k draws per matrix: the sample std is within ~0.6% of the true one; 10% is 18 sigma
    for i, b in enumerate(model.transformer.h):
        for name, proj in (("attn.c_proj", b.attn.c_proj), ("mlp.c_proj", b.mlp.c_proj)):
            assert proj.weight.std().item() == pytest.approx(0.02 / math.sqrt(2 * 8), rel=0.1), \
                (f"block {i} {name}: std {proj.weight.std().item():.5f}, expected 0.02 / sqrt(2 * n_layer) = "
                 f"{0.02 / math.sqrt(16):.5f} (two residual additions per block)")
            assert abs(proj.weight.mean().item()) < 1e-3 and torch.all(proj.bias == 0)
    assert torch.all(block.ln_1.weight == 1) and torch.all(block.ln_1.bias == 0)
    assert model.lm_head.weight is model.transformer.wte.weight


@pytest.mark.commit("1.5", "zero_residual_branches")
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


@pytest.mark.commit("1.5", "scale_residual_projections")
def test_llama_uses_the_gpt2_rule_with_an_untied_head_and_unit_rmsnorm_weights(impl):
    cfg = tiny("llama", n_layer=8, n_embd=128, vocab_size=512)
    model = build(impl, cfg)
    block = model.transformer.h[5]
    assert model.lm_head.weight is not model.transformer.wte.weight
    for w in (block.attn.c_attn.weight, block.mlp.c_fc.weight, model.lm_head.weight, model.transformer.wte.weight):
        assert w.std().item() == pytest.approx(0.02, rel=0.05)
    for proj in (block.attn.c_proj, block.mlp.c_proj):
        assert proj.weight.std().item() == pytest.approx(0.02 / math.sqrt(2 * 8), rel=0.1)
    for norm in (block.ln_1, block.ln_2, model.transformer.ln_f):
        assert torch.all(norm.weight == 1)


@pytest.mark.commit("1.5", "zero_residual_branches")
def test_changing_the_init_rule_changes_the_start_nanochat_init_on_llama_gives_exactly_ln_vocab(impl):
    idx = torch.randint(0, 97, (2, 16), generator=torch.Generator().manual_seed(3))
    gpt2_rule = build(impl, tiny("llama"))
    nanochat_rule = build(impl, tiny("llama", init="nanochat"))
    assert torch.all(nanochat_rule.lm_head.weight == 0)
    assert reference.GPT.forward(nanochat_rule, idx, idx)[1].item() == pytest.approx(math.log(97), abs=1e-5)
    assert reference.GPT.forward(gpt2_rule, idx, idx)[1].item() != pytest.approx(math.log(97), abs=1e-5)


@pytest.mark.commit("1.5", "zero_residual_branches")
def test_a_tied_nanochat_matrix_follows_the_embedding_rule_not_the_zero_head_rule(impl):
    model = build(impl, tiny("nanochat", tie_embeddings=True, vocab_size=512, n_embd=64))
    assert model.lm_head.weight is model.transformer.wte.weight
    assert model.transformer.wte.weight.std().item() == pytest.approx(1.0, rel=0.05), \
        "a tied head is the embedding matrix: zeroing lm_head zeroes every token's input vector too"


@pytest.mark.commit("1.5", "scale_residual_projections")
@pytest.mark.parametrize("lineage", ["gpt2", "llama"])
def test_loss_at_init_is_close_to_ln_vocab(impl, lineage):
    model = build(impl, tiny(lineage, vocab_size=512, n_embd=64))
    g = torch.Generator().manual_seed(1)
    idx, targets = torch.randint(0, 512, (4, 16), generator=g), torch.randint(0, 512, (4, 16), generator=g)
    _, loss = reference.GPT.forward(model, idx, targets)
    assert abs(loss.item() - math.log(512)) < 0.1


# ---- forward ------------------------------------------------------------------------------------

def straight_line_logits(model, idx: torch.Tensor) -> torch.Tensor:
    """The oracle: the GPT's forward written out in one place from its weights, in float64, with no call
    into phase1_model. Embedding (+ position) -> n_layer x [pre-norm attention head by head, pre-norm
    MLP] -> final norm -> head -> soft-cap, every choice read from model.config."""
    cfg = model.config
    W = {name: p.detach().double() for name, p in model.named_parameters(remove_duplicate=False)}
    C, H, H_kv, hd = cfg.n_embd, cfg.n_head, cfg.n_kv_head, cfg.head_dim
    T = idx.size(1)
    tiny_eps = torch.finfo(torch.float32).eps  # F.rms_norm's default eps for float32 (QK-norm, embed norm)

    def rms(x, weight=None, eps=tiny_eps):
        y = x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps)
        return y if weight is None else y * weight

    def norm(x, prefix):
        weight, bias = W.get(prefix + ".weight"), W.get(prefix + ".bias")
        if cfg.norm == "rmsnorm":
            return rms(x, weight, cfg.norm_eps)
        mean = x.mean(-1, keepdim=True)
        y = (x - mean) / torch.sqrt(((x - mean) ** 2).mean(-1, keepdim=True) + cfg.norm_eps)
        y = y if weight is None else y * weight
        return y if bias is None else y + bias

    def linear(x, prefix):
        y = x @ W[prefix + ".weight"].T
        return y + W[prefix + ".bias"] if prefix + ".bias" in W else y

    t = torch.arange(T, dtype=torch.float64)
    if cfg.positions == "rope":  # Su et al. eq. 34: theta_i = base^(-2i/d), half-split channel pairs
        angle = t[:, None] * cfg.rope_theta ** (-torch.arange(0, hd, 2, dtype=torch.float64) / hd)

    def rotate(x):
        x1, x2 = x[..., :hd // 2], x[..., hd // 2:]
        return torch.cat([x1 * angle.cos() - x2 * angle.sin(), x1 * angle.sin() + x2 * angle.cos()], -1)

    # the tied head is the embedding matrix itself: read it from there
    wte = W["transformer.wte.weight"]
    head = wte if cfg.tie_embeddings else W["lm_head.weight"]
    x = wte[idx]
    if cfg.embed_norm:
        x = rms(x)
    if cfg.positions == "learned":
        x = x + W["transformer.wpe.weight"][:T]
    elif cfg.positions == "sinusoidal":  # Vaswani et al. 3.5: sin on even channels, cos on odd ones
        a = t[:, None] / 10000.0 ** (torch.arange(0, C, 2, dtype=torch.float64) / C)
        x = x + torch.stack([a.sin(), a.cos()], dim=-1).flatten(-2)
    future = torch.ones(T, T, dtype=torch.bool).triu(1)
    for layer in range(cfg.n_layer):
        p = f"transformer.h.{layer}"
        q, k, v = linear(norm(x, p + ".ln_1"), p + ".attn.c_attn").split([H * hd, H_kv * hd, H_kv * hd], -1)
        heads = []
        for h in range(H):
            g = h // (H // H_kv)  # the key/value head this query head shares
            qh, kh, vh = q[..., h * hd:(h + 1) * hd], k[..., g * hd:(g + 1) * hd], v[..., g * hd:(g + 1) * hd]
            if cfg.qk_norm:
                qh, kh = rms(qh), rms(kh)
            if cfg.positions == "rope":
                qh, kh = rotate(qh), rotate(kh)
            scores = (qh @ kh.transpose(-2, -1) / math.sqrt(hd)).masked_fill(future, float("-inf"))
            heads.append(torch.softmax(scores, -1) @ vh)
        x = x + linear(torch.cat(heads, -1), p + ".attn.c_proj")
        u = linear(norm(x, p + ".ln_2"), p + ".mlp.c_fc")
        if cfg.mlp == "gelu":
            u = 0.5 * u * (1 + torch.tanh(math.sqrt(2 / math.pi) * (u + 0.044715 * u ** 3)))
        elif cfg.mlp == "relu2":
            u = u.clamp(min=0) ** 2
        else:  # SwiGLU: c_fc holds [gate | up]
            gate, up = u[..., :cfg.mlp_hidden], u[..., cfg.mlp_hidden:]
            u = gate * torch.sigmoid(gate) * up
        x = x + linear(u, p + ".mlp.c_proj")
    logits = norm(x, "transformer.ln_f") @ head.T
    if cfg.logit_softcap:  # Gemma 2 / nanochat: cap * tanh(logits / cap)
        logits = cfg.logit_softcap * torch.tanh(logits / cfg.logit_softcap)
    return logits


def randomise(model, seed=0):
    """Every parameter drawn at random (norm weights around 1): no zero-initialised head or projection
    can hide a mistake, and biases and norm weights all matter."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            noise = torch.randn(p.shape, generator=g)
            p.copy_(1 + 0.2 * noise if p.dim() == 1 else 0.3 * noise)
    return model


ORACLE_CONFIGS = {
    "gpt2": dict(lineage="gpt2"),
    "llama-gqa": dict(lineage="llama", n_kv_head=2),
    "nanochat": dict(lineage="nanochat"),
    "gpt2-sinusoidal-untied-manual": dict(lineage="gpt2", positions="sinusoidal", tie_embeddings=False,
                                          primitives="manual"),
    "llama-theta500-qknorm-cap5": dict(lineage="llama", rope_theta=500.0, qk_norm=True, logit_softcap=5.0),
    "nanochat-tied-mqa-theta100": dict(lineage="nanochat", tie_embeddings=True, n_kv_head=1, rope_theta=100.0),
}


@pytest.mark.commit("1.5", "gpt_forward")
@pytest.mark.parametrize("variant", list(ORACLE_CONFIGS))
def test_logits_equal_a_straight_line_computation_from_the_weights(impl, variant):
    kw = dict(ORACLE_CONFIGS[variant])
    model = randomise(build(impl, tiny(kw.pop("lineage"), **kw)))
    idx = torch.randint(0, 97, (2, 16), generator=torch.Generator().manual_seed(1))
    logits, loss = model(idx, idx)
    assert logits.shape == (2, 16, 97), f"logits must be (B, T, vocab_size), got {tuple(logits.shape)}"
    assert logits.dtype == torch.float32, \
        f"logits must be float32 (call .float() on the head's output), got {logits.dtype}"
    expected = straight_line_logits(model, idx)
    # float32 model vs float64 oracle: sums of <= 100 products of O(1) numbers keep ~1e-6 relative error;
    # 1e-4 leaves margin and is still far below any modelling mistake (those move logits by O(0.1)).
    torch.testing.assert_close(logits.double(), expected, atol=1e-4, rtol=1e-4,
                               msg=lambda m: f"[{variant}] logits differ from the forward written out from the "
                                             "weights (embedding and positions, every block with the config's "
                                             f"rope_theta / qk_norm / GQA, final norm, head, soft-cap)\n{m}")
    torch.testing.assert_close(loss.double(), F.cross_entropy(expected.view(-1, 97), idx.view(-1)),
                               atol=1e-4, rtol=1e-4)
    assert model(idx)[1] is None, "without targets the loss must be None"


def check_changing_a_config_field_changes_the_logits_as_the_oracle_says(impl, field, value):
    # Same weights, one field changed: the output must move, and move to what the straight-line oracle
    # computes with that field (a model that ignores the field keeps the old logits and fails here).
    base = dict(logit_softcap=10.0)
    base, changed = tiny("llama", **base), tiny("llama", **{**base, field: value})
    a = randomise(build(impl, base))
    b = build(impl, changed)
    state = a.state_dict()
    if field == "tie_embeddings":  # the tied model has one matrix: take the embedding's
        state["lm_head.weight"] = state["transformer.wte.weight"]
    b.load_state_dict(state)
    idx = torch.randint(0, 97, (1, 16), generator=torch.Generator().manual_seed(2))
    la, lb = a(idx)[0], b(idx)[0]
    assert (la - lb).abs().max() > 1e-2, f"changing {field} to {value!r} left the logits unchanged"
    torch.testing.assert_close(lb.double(), straight_line_logits(b, idx), atol=1e-4, rtol=1e-4)


@pytest.mark.commit("1.5", "gpt_forward")
@pytest.mark.parametrize("field, value", [("rope_theta", 100.0), ("qk_norm", True)])
def test_changing_a_block_field_changes_the_logits_as_the_oracle_says(impl, field, value):
    check_changing_a_config_field_changes_the_logits_as_the_oracle_says(impl, field, value)


# ---- the head: final norm, lm_head, float32, soft-cap, loss ---------------------------------------

def straight_line_head(model, x: torch.Tensor, targets=None, ignore_index=-1):
    """The oracle for GPT.head, in float64 from the weights: final norm -> x @ W_head^T -> soft-cap,
    then the mean of -log p(target) over the positions whose target is not ignore_index."""
    cfg = model.config
    x = x.double()
    ln_f = model.transformer.ln_f
    if cfg.norm == "rmsnorm":
        y = x / torch.sqrt((x * x).mean(-1, keepdim=True) + cfg.norm_eps)
    else:
        mean = x.mean(-1, keepdim=True)
        y = (x - mean) / torch.sqrt(((x - mean) ** 2).mean(-1, keepdim=True) + cfg.norm_eps)
    if getattr(ln_f, "weight", None) is not None:  # nanochat's final norm has no weight
        y = y * ln_f.weight.detach().double()
    if getattr(ln_f, "bias", None) is not None:
        y = y + ln_f.bias.detach().double()
    logits = y @ model.lm_head.weight.detach().double().T
    if cfg.logit_softcap:
        logits = cfg.logit_softcap * torch.tanh(logits / cfg.logit_softcap)
    if targets is None:
        return logits, None
    keep = targets != ignore_index
    logp = logits[keep] - logits[keep].logsumexp(-1, keepdim=True)
    return logits, -logp.gather(-1, targets[keep][:, None]).mean()


@pytest.mark.commit("1.5", "gpt_head")
@pytest.mark.parametrize("lineage, kw", [("gpt2", {}), ("llama", {}), ("nanochat", {}),
                                         ("llama", {"logit_softcap": 3.0}), ("gpt2", {"tie_embeddings": False})])
def test_head_equals_a_straight_line_norm_matmul_softcap_and_cross_entropy(impl, lineage, kw):
    model = randomise(build(impl, tiny(lineage, **kw)))
    g = torch.Generator().manual_seed(4)
    x = torch.randn(2, 16, 32, generator=g) * 3
    targets = torch.randint(0, 97, (2, 16), generator=g)
    targets[0, :5] = -100  # not the default ignore_index: the head must use the one it is given
    logits, loss = model.head(x, targets, ignore_index=-100)
    assert logits.shape == (2, 16, 97) and logits.dtype == torch.float32, \
        f"head must return float32 logits (B, T, vocab_size), got {logits.dtype} {tuple(logits.shape)}"
    expected, expected_loss = straight_line_head(model, x, targets, ignore_index=-100)
    # float32 vs float64: a 32-term dot product and a 97-way log-sum-exp keep ~1e-6 relative error
    torch.testing.assert_close(logits.double(), expected, atol=1e-4, rtol=1e-4)
    assert loss is not None and loss.dim() == 0, "with targets, the loss is a scalar (the mean over kept positions)"
    torch.testing.assert_close(loss.double(), expected_loss, atol=1e-5, rtol=1e-5,
                               msg=lambda m: "loss must be the mean cross-entropy over positions whose target "
                                             f"is not ignore_index (here -100), not over all of them\n{m}")
    assert model.head(x)[1] is None, "without targets the loss must be None"


@pytest.mark.commit("1.5", "gpt_head")
@pytest.mark.parametrize("field, value", [("logit_softcap", 2.0), ("tie_embeddings", True)])
def test_changing_a_head_field_changes_the_logits_as_the_oracle_says(impl, field, value):
    check_changing_a_config_field_changes_the_logits_as_the_oracle_says(impl, field, value)


@pytest.mark.commit("1.5", "gpt_head")
def test_loss_is_mean_cross_entropy_skipping_ignore_index(impl):
    model = build(impl, tiny())
    idx, targets = torch.randint(0, 97, (2, 16)), torch.randint(0, 97, (2, 16))
    targets[0, :5] = -1
    logits, loss = model(idx, targets)
    keep = targets != -1
    torch.testing.assert_close(loss, F.cross_entropy(logits[keep], targets[keep]))


@pytest.mark.commit("1.5", "gpt_head")
def test_head_logits_are_float32_under_bf16_autocast(impl):
    model = build(impl, tiny("llama"))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits, loss = model.head(torch.randn(1, 8, 32), torch.randint(0, 97, (1, 8)))
    assert logits.dtype == torch.float32, \
        f"under bf16 autocast lm_head returns bf16: call .float() on its output (got {logits.dtype})"
    assert torch.isfinite(loss)


@pytest.mark.commit("1.5", "gpt_head")
def test_nanochat_logits_are_soft_capped(impl):
    model = build(impl, tiny("nanochat"))
    torch.nn.init.normal_(model.lm_head.weight, std=10.0)
    logits, _ = model(torch.randint(0, 97, (1, 16)))
    assert logits.abs().max().item() <= 15.0
    assert logits.abs().max().item() > 10.0  # the cap bends big logits; it does not clip small ones to zero


@pytest.mark.commit("1.5")
def test_soft_cap_has_the_value_and_gradient_of_cap_tanh_logits_over_cap():
    # soft_cap works in place on its input (the model's fresh logits): hand it a copy
    z = (torch.randn(3, 7, dtype=torch.float64) * 20).requires_grad_()  # logits well inside and beyond the cap
    torch.autograd.gradcheck(lambda t: reference.soft_cap(t.clone(), 15.0), (z,))  # against finite differences
    g = torch.randn(3, 7, dtype=torch.float64)
    ours, = torch.autograd.grad(reference.soft_cap(z.clone(), 15.0), z, g)
    plain, = torch.autograd.grad(15.0 * torch.tanh(z / 15.0), z, g)
    torch.testing.assert_close(ours, plain)
    torch.testing.assert_close(reference.soft_cap(z.detach().clone(), 15.0), 15.0 * torch.tanh(z.detach() / 15.0))


@pytest.mark.commit("1.5", "gpt_forward")
@pytest.mark.parametrize("lineage", LINEAGES)
def test_gpt_is_causal_future_tokens_do_not_change_past_logits(impl, lineage):
    model = build(impl, tiny(lineage))
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
@pytest.mark.parametrize("lineage", LINEAGES)
def test_flops_per_token_matches_torch_flop_counter_on_forward_and_backward(impl, lineage):
    from torch.utils.flop_counter import FlopCounterMode
    cfg = tiny(lineage, primitives="manual", vocab_size=256, n_embd=64, n_kv_head=2)  # manual: plain matmuls
    model = build(impl, cfg)
    T = 8  # shorter than block_size=16: the attention term must use the sequence actually run
    idx = torch.randint(0, 256, (2, T))
    with FlopCounterMode(display=False) as counter:
        reference.GPT.forward(model, idx, idx)[1].backward()
    measured = counter.get_total_flops() / idx.numel()
    # FlopCounterMode counts matmuls only, exactly; 6N also counts the biases and norm weights (1-D
    # parameters), so remove those and the two must agree exactly. (The attention term is under 2% of the
    # total here: any tolerance in percent would hide a halved or missing attention term.)
    vector_params = sum(p.numel() for p in model.parameters() if p.dim() == 1)
    assert model.flops_per_token(seq_len=T) - 6 * vector_params == measured


@pytest.mark.commit("1.5", "flops_per_token")
def test_flops_per_token_grows_with_the_sequence_length_by_the_attention_term(impl):
    model = build(impl, tiny("llama"))
    L, H, hd = 2, 4, 8
    assert model.flops_per_token(seq_len=12) - model.flops_per_token(seq_len=4) == 12 * L * H * hd * (12 - 4), \
        "flops_per_token(seq_len=T) must use T in the attention term 12 * n_layer * n_head * head_dim * T"
    assert model.flops_per_token() == model.flops_per_token(seq_len=16), "seq_len=None means block_size"


@pytest.mark.commit("1.5", "flops_per_token")
def test_flops_per_token_of_gpt2_small_at_1024_tokens(impl):
    # nanoGPT's estimate_mfu: 6 * 123.65M (non-wpe params) + 12 * 12 * 768 * 1024
    with torch.device("meta"):
        model = build(impl, GPTConfig.from_lineage("gpt2", vocab_size=50257, block_size=1024, n_layer=12, n_head=12,
                                                   n_embd=768))
    assert model.flops_per_token() == 6 * (124_439_808 - 1024 * 768) + 12 * 12 * 768 * 1024


# ---- generation with a KV cache: gpt_forward stores and advances the cache ------------------------

def with_weights(model, lineage):
    if lineage == "nanochat":  # its zero-initialised head and projections would hide mistakes
        torch.nn.init.normal_(model.lm_head.weight)
        for b in model.transformer.h:
            torch.nn.init.normal_(b.attn.c_proj.weight, std=0.1)
    return model


@pytest.mark.commit("1.5", "gpt_forward")
@pytest.mark.parametrize("lineage", LINEAGES)
def test_kv_cache_gives_the_same_tokens_as_full_recompute(impl, lineage):
    model = with_weights(build(impl, tiny(lineage, n_kv_head=2)), lineage)
    prompt = torch.randint(0, 97, (2, 5))
    for kw in (dict(temperature=0.0), dict(temperature=1.0, top_k=20, seed=7), dict(top_p=0.9, seed=3)):
        # 14 new tokens: past block_size=16, so the cache also has to refill correctly
        with_cache = model.generate(prompt, 14, use_cache=True, **kw)
        without = model.generate(prompt, 14, use_cache=False, **kw)
        assert torch.equal(with_cache, without), f"cached and uncached generation differ with {kw}"
        assert with_cache.shape == (2, 19) and torch.equal(with_cache[:, :5], prompt)


@pytest.mark.commit("1.5", "gpt_forward")
@pytest.mark.parametrize("lineage", LINEAGES)
def test_cached_logits_equal_full_forward_logits_in_chunks_and_single_steps(impl, lineage):
    from phase1_model.generate import KVCache
    model = with_weights(build(impl, tiny(lineage, n_kv_head=2)), lineage).eval()
    idx = torch.randint(0, 97, (1, 16))
    full, _ = model(idx)
    cache = KVCache(model.config.n_layer, model.config.block_size)
    first, _ = model(idx[:, :7], kv_cache=cache)       # a prefill chunk
    assert cache.pos == 7, (f"after a forward of 7 tokens kv_cache.pos is {cache.pos}: gpt_forward must call "
                            "kv_cache.advance(T) once per forward, after the last block")
    second, _ = model(idx[:, 7:10], kv_cache=cache)    # a chunk after a cached prefix
    assert cache.pos == 10, f"after 7 + 3 tokens kv_cache.pos is {cache.pos}, expected 10"
    steps = [model(idx[:, t:t + 1], kv_cache=cache)[0] for t in range(10, 16)]  # one token at a time, to the end
    assert cache.pos == 16
    # float32, same maths in another order (a cached prefix, then a bottom-right mask): ~1e-6 apart
    torch.testing.assert_close(torch.cat([first, second, *steps], dim=1), full, atol=1e-5, rtol=1e-5)


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


@pytest.mark.commit("1.5")
def test_the_compiled_nanochat_model_has_no_graph_break_and_matches_eager():
    """torch.compile must capture the whole forward: the eager soft-cap is an in-place autograd.Function
    (mark_dirty), which Dynamo cannot trace, so under compile the model uses the plain formula."""
    import torch._dynamo
    from torch._dynamo.utils import counters
    torch._dynamo.reset()
    counters.clear()
    torch.manual_seed(0)
    model = reference.GPT(tiny(lineage="nanochat", logit_softcap=15.0))
    compiled = torch.compile(model, backend="eager")  # Dynamo's capture without code generation
    idx = torch.randint(0, 97, (2, 8))
    logits, loss = compiled(idx, idx)
    loss.backward()
    assert not counters["graph_break"], f"graph breaks: {list(counters['graph_break'])}"
    assert not counters["unimplemented"], f"Dynamo fell back to eager: {list(counters['unimplemented'])}"
    torch.testing.assert_close(logits, model(idx)[0])  # same maths, in place or not


@pytest.mark.commit("1.5")
def test_blocks_and_head_compile_apart_without_graph_break_and_match_eager():
    """Under FSDP a trainer compiles each block and the head apart (Dynamo does not trace through the root
    module's hooks, so compiling the whole model would leave the head eager): forward must call
    `self.head`, and the head must compile whole, soft-cap included."""
    import torch._dynamo
    from torch._dynamo.utils import counters
    torch._dynamo.reset()
    counters.clear()
    torch.manual_seed(0)
    eager = reference.GPT(tiny(lineage="nanochat", logit_softcap=15.0))
    randomise(eager)
    model = reference.GPT(eager.config)
    model.load_state_dict(eager.state_dict())
    for block in model.transformer.h:
        block.compile(backend="eager")
    model.head = torch.compile(model.head, backend="eager")
    idx = torch.randint(0, 97, (2, 8))
    logits, loss = model(idx, idx)
    loss.backward()
    assert counters["stats"]["unique_graphs"] >= 2, "the compiled head and blocks were never called"
    assert not counters["graph_break"], f"graph breaks: {list(counters['graph_break'])}"
    assert not counters["unimplemented"], f"Dynamo fell back to eager: {list(counters['unimplemented'])}"
    torch.testing.assert_close(logits, eager(idx)[0])
