# Learner stub GENERATED from phase1_model/block.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""The transformer block: attention then MLP, each wrapped in a pre-norm residual.

    x = x + attn(norm_1(x))     tokens exchange information
    x = x + mlp(norm_2(x))      each token processes what it gathered

Pre-norm (GPT-2; Xiong et al. 2020, arXiv:2002.04745) normalises the *input* of
each sub-layer and leaves the residual stream x untouched, so the identity path
from the embedding to the output is clean: gradients reach early layers
undiminished and deep stacks train without warmup tricks. The original
Transformer and GPT-1 were post-norm: x = norm(x + sublayer(x)).

Same module for every lineage: `build_norm` and `build_mlp` read the config
(including `primitives`: torch's layers or the course's own).
"""

from __future__ import annotations

import torch
import torch.nn as nn

from phase1_model.attention import CausalSelfAttention
from phase1_model.mlp import build_mlp
from phase1_model.norms import build_norm


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = build_norm(config)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = build_norm(config)
        self.mlp = build_mlp(config)

    def forward(self, x: torch.Tensor, rope=None, kv_cache=None, layer_idx: int = 0) -> torch.Tensor:
        """x (B, T, n_embd) -> same shape. rope: what RoPE rotates q and k with at these positions (the GPT
        passes rope_tables' (cos, sin); positions (T,) work too) or None; kv_cache for decoding.
        Pass rope, kv_cache and layer_idx on to self.attn: the cache keeps one slot per layer, and each
        block reads and writes its own (layer_idx). Pre-norm: the residual carries x itself."""
        # >>> exercise 1.3 block_forward
        # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.3:block_forward
        raise NotImplementedError("exercise 1.3 block_forward")
        # <<< exercise 1.3 block_forward
