"""One switch, two paths (GPTConfig.primitives): the manual path runs only the course's own code.

With primitives="manual" the GPT is built from TokenEmbedding, our Linear, LayerNorm/RMSNorm over
norms.layer_norm/rms_norm, gelu, silu, ReLUSquared, our softmax and the explicit attention. These
tests make every torch layer and fused kernel the manual path must not use RAISE, run the whole
forward, loss, backward and a KV-cache decode of every lineage, and compare with the torch path
(torch's modules and kernels) loaded with the same weights. Cross-entropy stays torch's: phase 2
writes it, and phase 1 imports no later phase.
"""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from phase1_model.config import GPTConfig
from phase1_model.generate import KVCache
from phase1_model.gpt import GPT

# lineages, plus the variants that reach other code: GQA/MQA, sinusoidal positions, an untied gpt2,
# QK-norm and soft-capping on llama, a tied nanochat
CONFIGS = {
    "gpt2": dict(lineage="gpt2"),
    "llama-gqa": dict(lineage="llama", n_kv_head=2),
    "nanochat": dict(lineage="nanochat"),
    "gpt2-sinusoidal-untied": dict(lineage="gpt2", positions="sinusoidal", tie_embeddings=False),
    "llama-qknorm-cap": dict(lineage="llama", qk_norm=True, logit_softcap=5.0, n_kv_head=1),
    "nanochat-tied-embed-norm": dict(lineage="nanochat", tie_embeddings=True, n_kv_head=2),
}
SIZES = dict(vocab_size=97, block_size=16, n_layer=2, n_head=4, n_embd=32)

# What the manual path must never call: torch's layers (constructing one is already wrong) and the
# functional kernels behind them, under every name they are reachable by.
FORBIDDEN_FUNCTIONS = [
    (F, "linear"), (F, "embedding"), (F, "softmax"), (F, "log_softmax"), (F, "silu"), (F, "gelu"),
    (F, "layer_norm"), (F, "rms_norm"), (F, "scaled_dot_product_attention"), (F, "sigmoid"),
    (torch, "softmax"), (torch, "log_softmax"), (torch, "layer_norm"), (torch, "rms_norm"), (torch, "embedding"),
    (torch.Tensor, "softmax"), (torch.Tensor, "log_softmax"), (torch.special, "softmax"),
]
FORBIDDEN_LAYERS = [nn.Linear, nn.Embedding, nn.LayerNorm, nn.RMSNorm, nn.GELU, nn.SiLU, nn.Softmax]


def forbid_torch_primitives(monkeypatch):
    for owner, name in FORBIDDEN_FUNCTIONS:
        label = f"{getattr(owner, '__name__', owner)}.{name}"

        def refuse(*a, _name=label, **k):
            raise AssertionError(f"primitives='manual' called torch's {_name}")
        monkeypatch.setattr(owner, name, refuse)
    for cls in FORBIDDEN_LAYERS:
        def refuse_layer(self, *a, _name=cls.__name__, **k):
            raise AssertionError(f"primitives='manual' built or ran torch's nn.{_name}")
        monkeypatch.setattr(cls, "__init__", refuse_layer)
        monkeypatch.setattr(cls, "forward", refuse_layer)


def randomise(model, seed=0):
    """Every parameter at random (norm weights around 1): no zero-initialised head or projection hides
    a difference, and biases and norm weights all matter."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            noise = torch.randn(p.shape, generator=g)
            p.copy_(1 + 0.2 * noise if p.dim() == 1 else 0.3 * noise)
    return model


def both_paths(monkeypatch, name):
    """(torch-path model, manual-path model built with torch's primitives forbidden), same weights."""
    torch.manual_seed(0)
    fast = randomise(GPT(GPTConfig(**SIZES, **CONFIGS[name])))
    forbid_torch_primitives(monkeypatch)
    manual = GPT(GPTConfig(**SIZES, **CONFIGS[name], primitives="manual"))
    assert manual.state_dict().keys() == fast.state_dict().keys(), "same parameter names on both paths"
    manual.load_state_dict(fast.state_dict())
    return fast, manual


# float32 on both paths, the same maths in a different order (fused kernels vs explicit ops): observed
# differences are ~1e-7 on logits of size ~1-10 and gradients of size ~1e-3-1. atol 1e-5 / rtol 1e-4
# is 100x that, yet far below any real difference (a missing eps, a wrong scale or mask moves them by
# 1e-3 or more).
TOL = dict(atol=1e-5, rtol=1e-4)


@pytest.mark.commit("1.5")
@pytest.mark.parametrize("name", list(CONFIGS))
def test_manual_path_runs_only_our_primitives_and_matches_the_torch_path(monkeypatch, name):
    idx = torch.randint(0, 97, (2, 16), generator=torch.Generator().manual_seed(1))
    targets = idx.roll(-1, dims=1)
    fast, manual = both_paths(monkeypatch, name)
    logits, loss = manual(idx, targets)  # raises if anything forbidden is called
    loss.backward()
    monkeypatch.undo()  # the torch path may use torch again
    fast_logits, fast_loss = fast(idx, targets)
    fast_loss.backward()
    torch.testing.assert_close(logits, fast_logits, **TOL)
    torch.testing.assert_close(loss, fast_loss, **TOL)
    grads = dict(fast.named_parameters())
    for n, p in manual.named_parameters():
        torch.testing.assert_close(p.grad, grads[n].grad, **TOL, msg=lambda m, n=n: f"gradient of {n}: {m}")


@pytest.mark.commit("1.5")
@pytest.mark.parametrize("name", ["gpt2", "llama-gqa", "nanochat"])
def test_manual_path_decodes_with_a_kv_cache_like_the_torch_path(monkeypatch, name):
    idx = torch.randint(0, 97, (1, 16), generator=torch.Generator().manual_seed(2))
    fast, manual = both_paths(monkeypatch, name)
    manual.eval()
    cache = KVCache(manual.config.n_layer, manual.config.block_size)
    chunks = [manual(idx[:, :6], kv_cache=cache)[0], manual(idx[:, 6:9], kv_cache=cache)[0]]  # prefill, chunk
    chunks += [manual(idx[:, t:t + 1], kv_cache=cache)[0] for t in range(9, 16)]          # one token at a time
    monkeypatch.undo()
    full, _ = fast.eval()(idx)
    torch.testing.assert_close(torch.cat(chunks, dim=1), full, **TOL)


@pytest.mark.commit("1.5")
@pytest.mark.parametrize("name", ["gpt2", "nanochat"])
def test_manual_and_torch_paths_generate_the_same_tokens(monkeypatch, name):
    fast, manual = both_paths(monkeypatch, name)
    monkeypatch.undo()  # sampling itself (phase1_model.generate) is not the forward: torch's softmax is fine
    prompt = torch.randint(0, 97, (2, 3), generator=torch.Generator().manual_seed(3))
    for kw in (dict(temperature=0.0), dict(temperature=1.0, top_k=20, seed=7)):
        assert torch.equal(manual.generate(prompt, 10, **kw), fast.generate(prompt, 10, **kw)), kw


@pytest.mark.commit("1.5")
def test_the_switch_builds_torchs_layers_or_ours_once():
    from phase1_model.embedding import TokenEmbedding
    from phase1_model.linear import Linear
    from phase1_model.norms import LayerNorm, RMSNorm
    kinds = {}
    for primitives in ("torch", "manual"):
        model = GPT(GPTConfig(**SIZES, lineage="gpt2", primitives=primitives))
        kinds[primitives] = {type(m) for m in model.modules()}
    assert {nn.Linear, nn.Embedding, nn.LayerNorm} <= kinds["torch"]
    assert not {Linear, TokenEmbedding, LayerNorm, RMSNorm} & kinds["torch"], "the torch path keeps torch's layers"
    assert {Linear, TokenEmbedding, LayerNorm} <= kinds["manual"]
    assert not {nn.Linear, nn.Embedding, nn.LayerNorm, nn.RMSNorm} & kinds["manual"]


@pytest.mark.commit("1.5")
def test_a_checkpoint_saved_with_attention_impl_loads_as_primitives():
    # checkpoints written before `primitives` existed carry attention_impl="sdpa" | "manual"
    torch.manual_seed(0)
    model = GPT(GPTConfig(**SIZES, lineage="llama"))
    state = model.checkpoint_state()
    for legacy, expected in (("sdpa", "torch"), ("manual", "manual")):
        old = {k: v for k, v in state["model_config"].items() if k != "primitives"} | {"attention_impl": legacy}
        loaded = GPT.from_checkpoint({"model_config": old, "model": state["model"]})
        assert loaded.config.primitives == expected
        idx = torch.randint(0, 97, (1, 8))
        torch.testing.assert_close(loaded(idx)[0], model(idx)[0], **TOL)
