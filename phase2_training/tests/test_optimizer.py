"""Commit 2.2: phase 2's AdamW and its weight-decay groups."""

import pytest
import torch

from phase1_model import GPT, GPTConfig
from phase2_training.config import TrainConfig
from phase2_training.optimizer import make_adamw, param_groups


def _gpt(lineage="gpt2"):
    return GPT(GPTConfig.from_lineage(lineage, vocab_size=64, block_size=16, n_layer=1, n_head=2, n_embd=16))


@pytest.mark.commit("2.2")
@pytest.mark.parametrize("lineage", ["gpt2", "nanochat"])
def test_no_weight_decay_on_vectors_and_embeddings_each_param_once(lineage):
    model = _gpt(lineage)
    decay, no_decay = param_groups(model, 0.1)
    assert decay["weight_decay"] == 0.1 and no_decay["weight_decay"] == 0.0
    ids = [id(p) for g in (decay, no_decay) for p in g["params"]]
    assert len(ids) == len(set(ids)) == len(list(model.parameters()))
    assert all(p.dim() >= 2 for p in decay["params"])
    assert id(model.transformer.wte.weight) in {id(p) for p in no_decay["params"]}
    assert all(p.dim() == 2 for p in decay["params"])


@pytest.mark.commit("2.2")
def test_make_adamw_is_torchs_adamw_with_the_config_hyperparameters():
    model = _gpt()
    opt = make_adamw(model, TrainConfig(lr=1e-3, beta1=0.8, beta2=0.9, weight_decay=0.05))
    assert type(opt) is torch.optim.AdamW
    assert [g["weight_decay"] for g in opt.param_groups] == [0.05, 0.0]
    assert all(g["lr"] == 1e-3 and g["betas"] == (0.8, 0.9) for g in opt.param_groups)
