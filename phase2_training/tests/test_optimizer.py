"""Commit 2.2: the optimizer hook and its weight-decay groups."""

import pytest
import torch

from phase1_model import GPT, GPTConfig
from phase2_training.config import TrainConfig
from phase2_training.optimizer import make_optimizer, param_groups, register_optimizer, resolve_optimizer


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
def test_make_optimizer_uses_the_registry_and_explains_unknown_names():
    model = _gpt()
    opt = make_optimizer(model, TrainConfig(lr=1e-3))
    # Phase 3 registers its from-scratch AdamW under "adamw"; without phase 3 it is torch's.
    from phase3_optim import AdamW as OurAdamW
    assert isinstance(opt, (OurAdamW, torch.optim.AdamW)) and type(opt).__name__ == "AdamW"
    assert opt.param_groups[0]["lr"] == 1e-3
    register_optimizer("sgd-test", lambda m, cfg: torch.optim.SGD(m.parameters(), lr=cfg.lr))
    assert isinstance(make_optimizer(model, TrainConfig(optimizer="sgd-test")), torch.optim.SGD)
    assert resolve_optimizer("phase2_training.optimizer:make_adamw").__name__ == "make_adamw"
    with pytest.raises(ValueError, match="Did you mean 'adamw'"):
        make_optimizer(model, TrainConfig(optimizer="adamww"))
