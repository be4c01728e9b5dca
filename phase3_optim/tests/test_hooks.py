"""The trainer hook (commits 3.2-3.3): phase 2's make_optimizer builds our AdamW and Muon by name."""

import dataclasses
import importlib

import pytest

from phase3_optim.tests.helpers import tiny_gpt


@pytest.fixture
def registry():
    """Register phase 3's optimizers for one test, then restore phase 2's registry."""
    from phase2_training import optimizer
    saved = dict(optimizer.OPTIMIZERS)
    import phase3_optim.hooks
    importlib.reload(phase3_optim.hooks)
    yield optimizer
    optimizer.OPTIMIZERS.clear()
    optimizer.OPTIMIZERS.update(saved)


@pytest.mark.commit("3.2")
def test_trainer_hook_builds_our_adamw_and_muon_from_the_train_config(registry):
    from phase2_training.config import TrainConfig
    from phase3_optim import AdamW, MuonAdamW
    from phase3_optim.hooks import make_scaler
    from phase3_optim.precision import LossScaler
    cfg = TrainConfig()
    assert isinstance(registry.make_optimizer(tiny_gpt(), dataclasses.replace(cfg, optimizer="adamw")), AdamW)
    muon = registry.make_optimizer(tiny_gpt(), dataclasses.replace(cfg, optimizer="muon"))
    assert isinstance(muon, MuonAdamW)
    assert all(g["lr"] == pytest.approx(cfg.lr) for g in muon.param_groups)
    assert isinstance(make_scaler("fp16"), LossScaler) and make_scaler("bf16") is None
