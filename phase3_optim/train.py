"""Train a GPT with phases 0-3: phase 2's composition root plus what phase 3 adds, in plain view (ADR 019).

    python -m phase3_optim.train --config examples/tiny_model.py --optimizer=muon
    python -m phase3_optim.train --config examples/tiny_model.py --dtype=fp16     # with the loss scaler
    python -m phase3_optim.train --help

Compared with phase2_training/train.py, two lines of build_trainer change:

    optimizer = make_optimizer(model, cfg)    # phase 3: our AdamW, Adam, SGD or Muon+AdamW by name (3.1-3.2)
    scaler = make_scaler(cfg)                 # phase 3: fp16 needs dynamic loss scaling (3.3)

Everything else (data, model, compile, autocast, loaders, the Trainer) is phase 2's,
imported, not copied. Processes and sharding are phase 4's entry.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch

from phase1_model import ConfigError
from phase2_training.config import TrainConfig
from phase2_training.data_prep import PreparedData, prepare_data
from phase2_training.device import autocast_context, pick_device, seed_everything
from phase2_training.train import build_loaders, build_model, maybe_compile, refuse, run
from phase2_training.trainer import Trainer
from phase3_optim.build import OPTIMIZERS, build_optimizer
from phase3_optim.precision import LossScaler


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig):
    """cfg.optimizer by name (adamw | adam | sgd | muon), with cfg.lr, weight_decay, beta1, beta2."""
    if cfg.optimizer not in OPTIMIZERS:
        raise ConfigError(f"optimizer={cfg.optimizer!r}: choose one of {', '.join(OPTIMIZERS)}")
    return build_optimizer(model, cfg.optimizer, lr=cfg.lr, weight_decay=cfg.weight_decay,
                           betas=(cfg.beta1, cfg.beta2), steps=cfg.max_steps)


def make_scaler(cfg: TrainConfig) -> LossScaler | None:
    """The loss scaler fp16 needs (ADR 015); bf16 and fp32 need none."""
    return LossScaler() if cfg.dtype == "fp16" else None


def build_trainer(cfg: TrainConfig, log: Callable = print, data: PreparedData | None = None) -> Trainer:
    """Phase 2's wiring with phase 3's optimizer and loss scaler."""
    refuse(cfg, "phase3_optim.train", strategy=("single", "auto"))
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)
    seed_everything(cfg.seed)
    data = data or prepare_data(cfg, log=log)
    model = build_model(cfg, data, device)
    train_model = maybe_compile(model, cfg.compile)
    optimizer = make_optimizer(model, cfg)                   # phase 3 (3.1-3.2)
    log(f"optimizer: {getattr(optimizer, 'describe', lambda: cfg.optimizer)()}")  # the path taken, and why
    autocast = autocast_context(cfg.dtype, device)
    scaler = make_scaler(cfg)                                # phase 3 (3.3)
    loader, val_batches = build_loaders(cfg, data, device)
    trainer = Trainer(cfg, data, model, optimizer, loader, val_batches, device=device, train_model=train_model,
                      autocast=autocast, scaler=scaler, log=log)
    if cfg.resume:
        trainer.resume()
    return trainer


def main(argv: list[str] | None = None) -> int:
    return run(argv, build_trainer, __doc__)


if __name__ == "__main__":
    sys.exit(main())
