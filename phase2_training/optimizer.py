"""The optimizer hook: make_optimizer(model, cfg), AdamW with weight-decay param groups by default.

Weight decay pulls weights toward zero; that regularises matrices that mix
features, but on a norm's gain or a bias it only fights the value the model
needs, and on embedding rows it shrinks rare tokens, which get few gradient
updates to push back. So, as nanoGPT and nanochat do, two groups:

    decay:     every parameter with >= 2 dims that is not an embedding table
    no decay:  1-D parameters (norm weights, biases) and nn.Embedding weights

The trainer never names an optimizer class: it calls make_optimizer(model, cfg),
which looks cfg.optimizer up in OPTIMIZERS ("adamw" here; phase 3 registers its
own AdamW and Muon with register_optimizer) or imports "package.module:function".
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable

import torch
import torch.nn as nn

OPTIMIZERS: dict[str, Callable] = {}


def register_optimizer(name: str, factory: Callable) -> None:
    """Make `--optimizer=name` build factory(model, cfg) -> torch.optim.Optimizer."""
    OPTIMIZERS[name] = factory


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two groups: matrices (decayed) and 1-D params + embedding tables (not decayed); each param once."""
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding)}
    decay, no_decay = [], []
    for _, p in model.named_parameters():  # tied weights appear once
        if not p.requires_grad:
            continue
        (no_decay if p.dim() < 2 or id(p) in embeddings else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def make_adamw(model: nn.Module, cfg) -> torch.optim.Optimizer:
    """torch.optim.AdamW over param_groups (phase 3 swaps in its from-scratch AdamW)."""
    fused = next(model.parameters()).device.type == "cuda"  # one kernel for all params on GPU
    return torch.optim.AdamW(param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2),
                             eps=1e-8, fused=fused or None)


register_optimizer("adamw", make_adamw)


def _load_later_phase_optimizers() -> None:
    """Let Phase 3 register its from-scratch "adamw" and "muon" (`--optimizer=adamw` or `--optimizer=muon`).

    Imported here, lazily, not at the top: phase3_optim imports this module (a top-level import
    would be circular), and phase 2 must run for a learner who has not reached phase 3 yet. With
    phase 3 present "adamw" always means our AdamW (bitwise equal to torch's foreach AdamW).
    """
    try:
        importlib.import_module("phase3_optim.hooks")
    except ImportError:
        pass


def resolve_optimizer(name: str) -> Callable:
    """The factory for a registered name or a "package.module:function" path; clear error otherwise."""
    _load_later_phase_optimizers()
    if name in OPTIMIZERS:
        return OPTIMIZERS[name]
    if ":" in name:
        module, _, attr = name.partition(":")
        try:
            return getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError) as e:
            raise ValueError(f"optimizer={name!r}: cannot import it ({e})") from None
    close = difflib.get_close_matches(name, list(OPTIMIZERS), n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"optimizer={name!r} is not registered (known: {', '.join(sorted(OPTIMIZERS))}).{hint} "
                     "Phase 3 adds 'muon' once phase3_optim is imported; or pass 'package.module:function'.")


def make_optimizer(model: nn.Module, cfg) -> torch.optim.Optimizer:
    """Build the optimizer cfg.optimizer names for `model` (the trainer's only optimizer call)."""
    return resolve_optimizer(cfg.optimizer)(model, cfg)
