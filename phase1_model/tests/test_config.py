"""GPTConfig (commit 1.1): lineage defaults, validation with errors that name the fix, round trips."""

import pytest

from phase1_model.config import ConfigError, GPTConfig


@pytest.mark.commit("1.1")
def test_lineages_fill_their_architecture_choices():
    gpt2, llama, nano = (GPTConfig.from_lineage(name) for name in ("gpt2", "llama", "nanochat"))
    pick = lambda c: (c.norm, c.norm_affine, c.mlp, c.positions, c.tie_embeddings, c.bias, c.qk_norm, c.logit_softcap)
    assert pick(gpt2) == ("layernorm", True, "gelu", "learned", True, True, False, None)
    assert pick(llama) == ("rmsnorm", True, "swiglu", "rope", False, False, False, None)
    assert pick(nano) == ("rmsnorm", False, "relu2", "rope", False, False, True, 15.0)


@pytest.mark.commit("1.1")
def test_overrides_beat_lineage_defaults_and_n_kv_head_defaults_to_n_head():
    cfg = GPTConfig.from_lineage("gpt2", positions="rope", n_head=4, n_embd=64)
    assert cfg.positions == "rope" and cfg.n_kv_head == 4 and cfg.head_dim == 16
    assert cfg.norm == "layernorm"


@pytest.mark.commit("1.1")
def test_swiglu_hidden_width_keeps_the_parameter_count_of_a_4x_mlp():
    cfg = GPTConfig.from_lineage("llama", n_embd=384, n_head=6)
    assert cfg.mlp_hidden % 64 == 0
    assert abs(3 * cfg.mlp_hidden - 2 * 4 * 384) <= 3 * 64  # 3 matrices of width h ~ 2 matrices of width 4C


@pytest.mark.commit("1.1")
@pytest.mark.parametrize("kwargs, words", [
    (dict(n_embd=100, n_head=3), "n_embd=100 is not divisible by n_head=3"),
    (dict(n_embd=30, n_head=2, lineage="llama"), "head_dim = n_embd/n_head must be even"),
    (dict(n_head=6, n_kv_head=4), "n_kv_head=4 must divide n_head=6"),
    (dict(lineage="gpt3"), "lineage='gpt3'"),
    (dict(mlp="relu"), "choose one of gelu, relu2, swiglu"),
    (dict(primitives="sdpa"), "primitives='sdpa': choose one of torch, manual"),
    (dict(vocab_size=0), "vocab_size=0"),
    (dict(dropout=1.0), "dropout"),
    (dict(rope_theta=float("nan")), "rope_theta=nan"),  # nan <= 0 is False: a naive check lets it through
    (dict(norm_eps=float("inf")), "must be finite and positive"),
    (dict(rope_theta=0.0), "must be finite and positive"),
])
def test_invalid_configs_fail_with_a_message_naming_the_problem(kwargs, words):
    with pytest.raises(ConfigError, match=None) as err:
        GPTConfig(**kwargs)
    assert words in str(err.value)


@pytest.mark.commit("1.1")
def test_vocab_smaller_than_the_tokenizer_is_rejected():
    class Tok:
        vocab_size = 8192
    GPTConfig(vocab_size=8192).validate(tokenizer=Tok())
    GPTConfig(vocab_size=8256).validate(tokenizer=Tok())  # padding up is fine
    with pytest.raises(ConfigError, match="set vocab_size=8192"):
        GPTConfig(vocab_size=4096).validate(tokenizer=Tok())


@pytest.mark.commit("1.1")
def test_to_dict_from_dict_round_trips_and_rejects_unknown_fields():
    cfg = GPTConfig.from_lineage("nanochat", n_layer=3, n_kv_head=2)
    assert GPTConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ConfigError, match="unknown GPTConfig fields"):
        GPTConfig.from_dict({**cfg.to_dict(), "n_experts": 8})
    assert cfg.diff(GPTConfig.from_lineage("nanochat", n_layer=4, n_kv_head=2)) == ["n_layer: 3 != 4"]
