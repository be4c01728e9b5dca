"""Parameter counting: how big is the model, and where do the parameters live?

Three numbers describe a model's size:

- total: every *distinct* parameter tensor once. Tied weights (GPT-2's lm_head
  is its token embedding) are one tensor reachable under two names: count once.
- embedding: the lookup tables (token and position embeddings, nn.Embedding).
- non_embedding = total - embedding. Kaplan et al. (2020, arXiv:2001.08361)
  found loss scales cleanly with this number, which is why papers quote it.

With tied embeddings the one shared matrix counts as embedding; with untied
ones lm_head is a plain (non-embedding) matrix. `parameter_table` prints where
the parameters are, one row per parameter with layer indices folded together.
"""

from __future__ import annotations

import re

import torch.nn as nn

from phase1_model.embedding import EMBEDDING_TYPES


def count_parameters(model: nn.Module) -> dict[str, int]:
    """{'total', 'embedding', 'non_embedding'}: distinct parameters, shared tensors counted once.

    A parameter is 'embedding' when it belongs to a module of EMBEDDING_TYPES (nn.Embedding or
    TokenEmbedding), also when a Linear shares it (a tied head); non_embedding = total - embedding.
    Works on models built on the meta device (use numel, never the data)."""
    # >>> exercise 1.1 count_parameters
    params = list(model.parameters())
    embedding_ids = {id(p) for m in model.modules() if isinstance(m, EMBEDDING_TYPES) for p in m.parameters()}
    total = sum(p.numel() for p in params)
    embedding = sum(p.numel() for p in params if id(p) in embedding_ids)
    return {"total": total, "embedding": embedding, "non_embedding": total - embedding}
    # <<< exercise 1.1 count_parameters


def _tied_names(model: nn.Module) -> dict[str, list[str]]:
    """First name of each shared parameter -> the other names it goes by."""
    names: dict[int, list[str]] = {}
    for name, p in model.named_parameters(remove_duplicate=False):
        names.setdefault(id(p), []).append(name)
    return {v[0]: v[1:] for v in names.values() if len(v) > 1}


def parameter_table(model: nn.Module) -> str:
    """A table of the parameters, layers folded: 'transformer.h.*.attn.c_attn.weight  (1152, 384)  x6'."""
    rows: dict[str, list] = {}  # folded name -> [shape, count per layer, number of layers]
    for name, p in model.named_parameters():  # remove_duplicate=True: tied tensors listed once
        folded = re.sub(r"\.\d+\.", ".*.", name)
        row = rows.setdefault(folded, [tuple(p.shape), p.numel(), 0])
        row[2] += 1
    tied = _tied_names(model)
    width = max([len(n) for n in rows] + [10])
    lines = [f"{'parameter':<{width}}  {'shape':>14}  {'x':>3}  {'count':>12}"]
    for folded, (shape, n, k) in rows.items():
        note = f"  (tied: {', '.join(tied[folded])})" if folded in tied else ""
        lines.append(f"{folded:<{width}}  {str(shape):>14}  {k:>3}  {n * k:>12,}{note}")
    c = count_parameters(model)
    lines.append("-" * len(lines[0]))
    for key in ("total", "embedding", "non_embedding"):
        lines.append(f"{key:<{width}}  {'':>14}  {'':>3}  {c[key]:>12,}")
    return "\n".join(lines)
