"""Phase 3's entry (commits 3.2-3.3): make_optimizer builds our AdamW and Muon by name, make_scaler the fp16
loss scaler, and build_trainer hands them to phase 2's Trainer."""

import dataclasses

import pytest

from phase3_optim.tests.helpers import tiny_gpt


@pytest.mark.commit("3.2")
def test_entry_builds_our_adamw_and_muon_from_the_train_config():
    from phase2_training.config import ConfigError, TrainConfig
    from phase3_optim import AdamW, MuonAdamW
    from phase3_optim.precision import LossScaler
    from phase3_optim.train import make_optimizer, make_scaler
    cfg = TrainConfig()
    assert type(make_optimizer(tiny_gpt(), dataclasses.replace(cfg, optimizer="adamw"))) is AdamW
    muon = make_optimizer(tiny_gpt(), dataclasses.replace(cfg, optimizer="muon"))
    assert isinstance(muon, MuonAdamW)
    assert all(g["lr"] == pytest.approx(cfg.lr) for g in muon.param_groups)
    with pytest.raises(ConfigError, match="choose one of"):
        make_optimizer(tiny_gpt(), dataclasses.replace(cfg, optimizer="adamww"))
    assert isinstance(make_scaler(dataclasses.replace(cfg, dtype="fp16")), LossScaler)
    assert make_scaler(dataclasses.replace(cfg, dtype="bf16")) is None


@pytest.mark.commit("3.3")
def test_phase2_entry_refuses_what_needs_phase3_and_names_the_entry():
    from phase1_model import ConfigError
    from phase2_training.config import TrainConfig
    from phase2_training.train import build_trainer
    for change in ({"optimizer": "muon"}, {"dtype": "fp16"}):
        with pytest.raises(ConfigError, match="phase3_optim.train"):
            build_trainer(dataclasses.replace(TrainConfig(), **change))
