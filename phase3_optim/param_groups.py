"""Parameter groups: which tensors get weight decay, and a learning rate per group (commit 3.1).

What this teaches: an optimizer's `param_groups` is a list of dicts, each with
its own hyper-parameters. We sort a model's parameters into four kinds,

    matrix     2-D weights inside the blocks (attention, MLP)       decay
    head       the untied output projection lm_head (V, C)           decay
    embedding  lookup tables (wte, wpe; a tied wte/lm_head)        no decay
    vector     everything with ndim < 2: norm gains, biases, scalars  no decay

The rule (ADR 013): weight decay pulls weights towards zero to keep their
scale in check (Loshchilov & Hutter 2019). That makes sense for the matrices
that multiply activations; it makes no sense for a norm's gain (decay towards 0
fights the normalisation, whose neutral value is 1), for a bias (it sets an
offset, not a scale), or for an embedding row (a rare token gets few gradient
updates but decay on every step, so its row would shrink towards zero just for
being rare). nanoGPT decays embeddings too; we follow nanochat and the common
practice of leaving them alone. Muon (muon.py) reuses the same four kinds:
Muon for `matrix`, AdamW for the rest.

A parameter's kind comes from its role, never from a class name: the
embedding tables are the modules of phase 1's EMBEDDING_TYPES (torch's
nn.Embedding, or TokenEmbedding on the manual path), the head is `lm_head`
when it is one of LINEAR_TYPES, and the rest splits by shape. A layer that
merely has "Embedding" in its name (a patch embedding is a Linear) is a matrix.

Per-group learning rates: each group carries "lr_scale"; the group's lr is
base_lr * lr_scale, and an LR schedule should set `group["lr"] = lr_t *
group["lr_scale"]` so the ratio survives warmup and decay.
"""

from __future__ import annotations

import torch.nn as nn

from phase1_model.embedding import EMBEDDING_TYPES
from phase1_model.linear import LINEAR_TYPES

KINDS = ("matrix", "head", "embedding", "vector")
DECAYED_KINDS = ("matrix", "head")


def is_embedding(module: nn.Module) -> bool:
    """A lookup table: nn.Embedding or phase 1's TokenEmbedding (EMBEDDING_TYPES), whatever it is called."""
    return isinstance(module, EMBEDDING_TYPES)


def classify_parameters(model: nn.Module) -> dict[str, list[tuple[str, nn.Parameter]]]:
    """{'matrix'|'head'|'embedding'|'vector': [(name, param), ...]} over the trainable parameters.

    embedding: the parameters of every module for which is_embedding(module) is True (by type, not by
    name: a class called PatchEmbedding that holds a Linear is not a table). A shared (tied) tensor is
    listed once, as an embedding. head: the weight of `model.lm_head` when the model has one and it is
    a Linear layer (LINEAR_TYPES: nn.Linear or phase 1's Linear). The others: matrix when ndim >= 2,
    vector otherwise. Parameters with requires_grad=False are left out."""
    # >>> exercise 3.1 classify_parameters
    embedding_ids = {id(p) for m in model.modules() if is_embedding(m) for p in m.parameters(recurse=False)}
    head = getattr(model, "lm_head", None)
    head_ids = {id(head.weight)} if isinstance(head, LINEAR_TYPES) else set()
    kinds: dict[str, list] = {kind: [] for kind in KINDS}
    for name, p in model.named_parameters():  # remove_duplicate=True: a tied matrix appears once
        if not p.requires_grad:
            continue
        if id(p) in embedding_ids:  # checked first: a tied lm_head IS the embedding
            kinds["embedding"].append((name, p))
        elif id(p) in head_ids:
            kinds["head"].append((name, p))
        elif p.ndim >= 2:
            kinds["matrix"].append((name, p))
        else:
            kinds["vector"].append((name, p))
    return kinds
    # <<< exercise 3.1 classify_parameters


def param_groups(model: nn.Module, weight_decay: float, lr: float,
                 lr_scales: dict[str, float] | None = None) -> list[dict]:
    """AdamW param groups: one group per non-empty kind, weight decay only on DECAYED_KINDS.

    lr_scales multiplies the base lr per kind, e.g. {"embedding": 10.0} (unlisted kinds: 1.0).
    Each group records its "kind" and "lr_scale" so schedules and logs can tell them apart."""
    lr_scales = lr_scales or {}
    unknown = set(lr_scales) - set(KINDS)
    if unknown:
        raise ValueError(f"lr_scales has unknown kinds {sorted(unknown)}: use some of {KINDS}")
    groups = []
    for kind, named in classify_parameters(model).items():
        if not named:
            continue
        scale = float(lr_scales.get(kind, 1.0))
        groups.append(dict(params=[p for _, p in named], names=[n for n, _ in named], kind=kind,
                           weight_decay=weight_decay if kind in DECAYED_KINDS else 0.0,
                           lr=lr * scale, lr_scale=scale))
    if not groups:
        raise ValueError("the model has no trainable parameters (all requires_grad=False?)")
    return groups


def describe_groups(groups: list[dict]) -> str:
    """One line per group: kind, tensors, parameters, lr, weight decay (for logs and the README)."""
    lines = []
    for g in groups:
        n = sum(p.numel() for p in g["params"])
        lines.append(f"{g.get('kind', '?'):<10} {len(g['params']):>4} tensors {n:>12,} params  "
                     f"lr={g['lr']:.3g}  weight_decay={g['weight_decay']:g}"
                     + ("  (Muon)" if g.get("use_muon") else ""))
    return "\n".join(lines)
