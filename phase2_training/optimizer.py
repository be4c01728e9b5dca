"""Phase 2's optimizer: torch's AdamW over two parameter groups (weight decay on matrices only).

Weight decay pulls weights toward zero; that regularises matrices that mix
features, but on a norm's gain or a bias it only fights the value the model
needs, and on embedding rows it shrinks rare tokens, which get few gradient
updates to push back. So, as nanoGPT and nanochat do, two groups:

    decay:     every parameter with >= 2 dims that is not an embedding table
    no decay:  1-D parameters (norm weights, biases) and embedding tables
               (phase 1's EMBEDDING_TYPES: nn.Embedding, or TokenEmbedding on the manual path)

The trainer never builds an optimizer: the entry (phase2_training.train) calls
make_adamw and hands the object over. Phase 3's entry hands over its own
from-scratch AdamW or Muon instead, and phase 4's a ZeRO-1 AdamW; nothing here
changes, and there is no registry for a later import to overwrite.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from phase1_model.embedding import EMBEDDING_TYPES


def param_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two groups: matrices (decayed) and 1-D params + embedding tables (not decayed); each param once."""
    embeddings = {id(m.weight) for m in model.modules() if isinstance(m, EMBEDDING_TYPES)}
    decay, no_decay = [], []
    for _, p in model.named_parameters():  # tied weights appear once
        if not p.requires_grad:
            continue
        (no_decay if p.dim() < 2 or id(p) in embeddings else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def make_adamw(model: nn.Module, cfg) -> torch.optim.Optimizer:
    """torch.optim.AdamW over param_groups, with cfg.lr, cfg.weight_decay, cfg.beta1 and cfg.beta2."""
    fused = next(model.parameters()).device.type == "cuda"  # one kernel for all params on GPU
    return torch.optim.AdamW(param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2),
                             eps=1e-8, fused=fused or None)
