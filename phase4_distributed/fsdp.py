"""Commit 4.3 — FSDP2: shard the parameters, the gradients and the optimizer state.

ZeRO-1 (zero.py) shards only the optimizer state; every rank still holds all
parameters and all gradients: 8 bytes per parameter in fp32 that do not shrink with W.
Fully Sharded Data Parallel (Zhao et al., 2023; ZeRO stage 3 in Rajbhandari et al.,
2020) shards those too. Each rank stores 1/W of every parameter; a layer's full
weights exist only while it runs:

    forward of block i:   all_gather its shards -> full weights -> compute -> free them
    backward of block i:  all_gather again -> gradients -> reduce_scatter -> keep my 1/W
    optimizer step:       purely local, on my 1/W of params, grads and Adam state

So memory per rank is ~16N/W bytes plus the activations plus ONE block's full weights
at a time, at the price of 1.5x DDP's traffic (two all-gathers and a reduce-scatter
instead of one all-reduce), which the next block's prefetched all-gather hides.

FSDP2 (`torch.distributed.fsdp.fully_shard`) expresses this per module: calling
fully_shard on each transformer block makes each one a communication unit ("one
all-gather per block"), and calling it on the root groups what is left (embeddings,
final norm, lm_head). Parameters become DTensors, sharded on dim 0; the optimizer is
built afterwards, on those shards, and needs no change at all.
"""

from __future__ import annotations

import torch
from torch import nn

try:  # torch >= 2.6: public API
    from torch.distributed.fsdp import MixedPrecisionPolicy, fully_shard
except ImportError:  # torch 2.4-2.5
    from torch.distributed._composable.fsdp import MixedPrecisionPolicy, fully_shard


def transformer_blocks(model: nn.Module) -> list[nn.Module]:
    """The repeated blocks of phase 1's GPT (model.transformer.h): FSDP's units of communication."""
    transformer = getattr(model, "transformer", None)
    blocks = getattr(transformer, "h", None) if transformer is not None else None
    if blocks is None:
        raise TypeError(f"{type(model).__name__} has no .transformer.h list of blocks: apply_fsdp expects phase 1's "
                        "GPT; for another model call fully_shard on its repeated layers, then on the root")
    return list(blocks)


def apply_fsdp(model: nn.Module, param_dtype: torch.dtype | None = None, reduce_dtype: torch.dtype | None = None,
               reshard_after_forward: bool = True, mesh=None) -> nn.Module:
    """Shard `model` in place with FSDP2: one unit per transformer block, plus the root. Returns it.

    param_dtype=torch.bfloat16 runs forward/backward with bf16 copies of the gathered weights while
    the sharded fp32 master weights (and the optimizer) stay in fp32; reduce_dtype sets the gradient
    reduction precision (fp32 by default: summing W bf16 gradients loses bits).
    reshard_after_forward=False keeps gathered weights from forward to backward: one all-gather
    fewer per block per step, more memory (ZeRO-2-like).
    """
    mp = MixedPrecisionPolicy(param_dtype=param_dtype, reduce_dtype=reduce_dtype or torch.float32) \
        if param_dtype is not None else MixedPrecisionPolicy()
    for block in transformer_blocks(model):
        fully_shard(block, mesh=mesh, reshard_after_forward=reshard_after_forward, mp_policy=mp)
    # The root's own parameters: token embedding (tied with lm_head), positions, final norm.
    fully_shard(model, mesh=mesh, reshard_after_forward=reshard_after_forward, mp_policy=mp)
    return model
