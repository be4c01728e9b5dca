"""`build_optimizer`: the one call a trainer makes to get an optimizer for a model (commits 3.1-3.2).

    opt = build_optimizer(model, "adamw", lr=3e-4, weight_decay=0.1)
    opt = build_optimizer(model, "muon",  lr=3e-4, weight_decay=0.1)   # Muon + AdamW, one object

Both use the parameter kinds of param_groups.py (weight decay on matrices and
the head only). "muon" sends the hidden matrices to Muon and everything else to
AdamW. By default Muon uses Liu et al.'s "match_rms_adamw" scaling, so the same
`lr` and `weight_decay` serve both halves (one --lr flag on the trainer); pass
adjust_lr_fn="original", muon_lr=0.02 for Jordan et al.'s setting.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from phase3_optim.adam import Adam, AdamW
from phase3_optim.fused import expected_fused
from phase3_optim.muon import MUON_DEFAULTS, MuonAdamW
from phase3_optim.param_groups import param_groups
from phase3_optim.sgd import SGD

OPTIMIZERS = ("adamw", "adam", "sgd", "muon")


def build_optimizer(model: nn.Module, name: str, lr: float, weight_decay: float,
                    betas: tuple[float, float] = (0.9, 0.95), eps: float = 1e-8, *,
                    lr_scales: dict[str, float] | None = None, foreach: bool | None = None,
                    fused: bool | None = None, steps: int | None = None,
                    momentum: float | None = None, muon_lr: float | None = None,
                    adjust_lr_fn: str = "match_rms_adamw", ns_dtype=None, ns_steps: int = 5):
    """An optimizer for `model` by name: adamw | adam | sgd | muon (see the module docstring).

    lr_scales: per-kind lr multipliers ({"embedding": 10.0}); momentum: SGD's (default 0.9) or
    Muon's (default 0.95); muon_lr: Muon's lr (default: lr, right for "match_rms_adamw").
    fused: None (default) = the path expected to be fastest for this run: our AdamW update and Muon's step
    compiled by torch.compile (fused.py) when the time saved over `steps` steps (the run's length; None:
    assume 1000) beats the compile time (fused.expected_fused: on CPU only for big models and long runs;
    MNC_FUSED=0 turns it off), else the foreach path; True/False force it. `optimizer.describe()` names the
    path taken and, for None, why."""
    name = name.lower()
    reason = None
    if fused is None and name != "sgd":  # SGD has no fused path
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
        fused, reason = expected_fused(device, sum(p.numel() for p in model.parameters()), steps)
    opt = _build(model, name, lr, weight_decay, betas, eps, lr_scales, foreach, fused, momentum, muon_lr,
                 adjust_lr_fn, ns_dtype, ns_steps)
    opt.path_reason = reason
    return opt


def _build(model, name, lr, weight_decay, betas, eps, lr_scales, foreach, fused, momentum, muon_lr, adjust_lr_fn,
           ns_dtype, ns_steps):
    groups = param_groups(model, weight_decay, lr, lr_scales)
    if name == "adamw":
        return AdamW(groups, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, foreach=foreach, fused=fused)
    if name == "adam":  # plain Adam: no decay at all (L2-through-the-gradient is what AdamW fixes)
        return Adam([{**g, "weight_decay": 0.0} for g in groups], lr=lr, betas=betas, eps=eps, foreach=foreach,
                    fused=fused)
    if name == "sgd":
        return SGD(groups, lr=lr, momentum=0.9 if momentum is None else momentum, weight_decay=weight_decay)
    if name == "muon":
        muon_groups = []
        for g in groups:
            if g["kind"] == "matrix":
                # lr_scale carries Muon's lr ratio too, so a schedule setting lr_t * lr_scale keeps it.
                scale = g["lr_scale"] * (muon_lr / lr if muon_lr else 1.0)
                muon_groups.append({**g, "use_muon": True, "lr": lr * scale, "lr_scale": scale,
                                    "momentum": MUON_DEFAULTS["momentum"] if momentum is None else momentum,
                                    "adjust_lr_fn": adjust_lr_fn, "ns_dtype": ns_dtype, "ns_steps": ns_steps,
                                    "fused": fused})
            else:
                muon_groups.append({**g, "use_muon": False, "betas": tuple(betas), "eps": eps, "foreach": foreach,
                                    "fused": fused})
        return MuonAdamW(muon_groups)
    raise ValueError(f"unknown optimizer {name!r}: choose one of {', '.join(OPTIMIZERS)}")
