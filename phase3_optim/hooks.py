"""Phase 3's plug-ins for the phase-2 trainer: `--optimizer=adamw|muon` and the fp16 loss scaler.

Importing this module registers our optimizers in phase2_training.optimizer.OPTIMIZERS:

    "adamw"  our from-scratch AdamW (phase3_optim.adam), param groups of ADR 013
    "muon"   Muon for hidden matrices + AdamW for the rest, one object (ADR 014)

Each factory reads the trainer's TrainConfig: cfg.lr, cfg.weight_decay, cfg.beta1, cfg.beta2.
Phase 2 imports this lazily (inside resolve_optimizer), so phase 2 never needs phase 3 to run.
"""

from __future__ import annotations

from phase2_training.optimizer import register_optimizer
from phase3_optim.build import build_optimizer
from phase3_optim.precision import LossScaler


def make_adamw(model, cfg):
    return build_optimizer(model, "adamw", lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(cfg.beta1, cfg.beta2))


def make_muon(model, cfg):
    return build_optimizer(model, "muon", lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(cfg.beta1, cfg.beta2))


def make_scaler(dtype: str):
    """The loss scaler a run needs: LossScaler for fp16, None for fp32/bf16."""
    return LossScaler() if dtype == "fp16" else None


register_optimizer("adamw", make_adamw)
register_optimizer("muon", make_muon)
