"""Parameter counting (commit 1.1): shared tensors once, embeddings apart; published model sizes as oracles."""

import pytest
import torch
import torch.nn as nn

from phase1_model.config import GPTConfig
from phase1_model.gpt import GPT


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(100, 8)
        self.mid = nn.Linear(8, 8)          # 64 + 8
        self.head = nn.Linear(8, 100, bias=False)
        self.head.weight = self.wte.weight  # tied: one tensor, two names


@pytest.mark.commit("1.1", "count_parameters")
def test_tied_weights_count_once_and_as_embedding(impl):
    params = impl("phase1_model.params")
    assert params.count_parameters(Tied()) == {"total": 800 + 72, "embedding": 800, "non_embedding": 72}


@pytest.mark.commit("1.1", "count_parameters")
def test_untied_head_is_a_non_embedding_parameter(impl):
    params = impl("phase1_model.params")
    model = nn.ModuleDict(dict(wte=nn.Embedding(100, 8), wpe=nn.Embedding(16, 8), head=nn.Linear(8, 100)))
    assert params.count_parameters(model) == {"total": 800 + 128 + 900, "embedding": 928, "non_embedding": 900}


@pytest.mark.commit("1.1", "count_parameters")
def test_gpt2_small_has_its_published_124_439_808_parameters(impl):
    # GPT-2 small as released (HF GPT2LMHeadModel: 124,439,808); nanoGPT prints 123.65M = this minus wpe.
    params = impl("phase1_model.params")
    with torch.device("meta"):  # shapes only: no memory, no init cost
        model = GPT(GPTConfig.from_lineage("gpt2", vocab_size=50257, block_size=1024, n_layer=12, n_head=12,
                                           n_embd=768))
    counts = params.count_parameters(model)
    assert counts["total"] == 124_439_808
    assert counts["embedding"] == 50257 * 768 + 1024 * 768


@pytest.mark.commit("1.1", "count_parameters")
def test_llama2_7b_has_its_published_6_738_415_616_parameters(impl):
    params = impl("phase1_model.params")
    cfg = GPTConfig.from_lineage("llama", vocab_size=32000, block_size=4096, n_layer=32, n_head=32, n_embd=4096,
                                 mlp_hidden=11008)
    with torch.device("meta"):
        model = GPT(cfg)
    counts = params.count_parameters(model)
    assert counts["total"] == 6_738_415_616
    assert counts["non_embedding"] == 6_738_415_616 - 32000 * 4096


@pytest.mark.commit("1.1")
def test_parameter_table_folds_layers_and_marks_tied_weights():
    from phase1_model.params import parameter_table
    model = GPT(GPTConfig.from_lineage("gpt2", vocab_size=64, block_size=8, n_layer=3, n_head=2, n_embd=16))
    table = parameter_table(model)
    assert "transformer.h.*.attn.c_attn.weight" in table and "tied: lm_head.weight" in table
    assert f"{model.num_params():,}" in table.splitlines()[-3]
