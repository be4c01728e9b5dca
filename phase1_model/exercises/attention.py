# Learner stub GENERATED from phase1_model/attention.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""Causal self-attention (Vaswani et al. 2017, arXiv:1706.03762, eq. 1 and section 3.2.2).

Every token emits a query q, a key k and a value v. Token i reads a weighted
average of the values, weighted by how well its query matches each key:

    Attention(Q, K, V) = softmax(Q K^T / sqrt(d_k) + M) V

- 1/sqrt(d_k): q.k of random unit-variance vectors has variance d_k; dividing
  keeps the softmax out of its saturated, one-hot regime at init.
- M, the causal mask: 0 where key j <= query i, -inf elsewhere, so a token never
  sees the future it is trained to predict.
- Multi-head: split the n_embd channels into n_head heads of head_dim each,
  attend in every head independently, concatenate, project (c_proj).
- GQA/MQA (Ainslie et al. 2023; Shazeer 2019): n_kv_head < n_head key/value
  heads, each shared by n_head/n_kv_head query heads: a smaller KV cache.

Two implementations of the same maths, chosen by `config.primitives`:
"torch" calls F.scaled_dot_product_attention (a fused kernel, FlashAttention on
GPU: never materialises the (T, T) matrix); "manual" runs the from-scratch
`multi_head_attention` below (with our softmax and Linear layers), which also
returns the attention weights for the visualiser. Tests check both agree.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from phase1_model.linear import Linear
from phase1_model.norms import unit_rms_norm
from phase1_model.positions import Rotate
from phase1_model.softmax import softmax


def multi_head_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                         n_head: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Multi-head causal attention from scratch (Vaswani et al. 2017, eq. 1 and section 3.2.2; ADR 006).

    q (B, T_q, n_head * hd): the queries of the LAST T_q positions; k and v (B, T_k, n_kv_head * hd),
    T_k >= T_q (with a KV cache the earlier keys are already cached), n_kv_head dividing n_head.
    Any of them may be a non-contiguous view. Head h owns channels h*hd .. (h+1)*hd - 1 of q; it
    reads key/value head h // (n_head // n_kv_head) (GQA: consecutive query heads share one).
    In every head:  softmax(q k^T / sqrt(hd) + M) v,  with M = 0 where query i may see key j,
    that is j <= i + (T_k - T_q) (its own position and before), and -inf elsewhere.
    Returns (y, weights): y (B, T_q, n_head * hd), head h's output in head h's channels, and
    weights (B, n_head, T_q, T_k), each row a probability distribution, exactly 0 where masked.
    Differentiable (the model trains through it). Use `softmax` (phase1_model.softmax), not torch's
    softmax or fused attention: primitives="manual" runs only our code."""
    # >>> exercise 1.2 multi_head_attention
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.2:multi_head_attention
    raise NotImplementedError("exercise 1.2 multi_head_attention")
    # <<< exercise 1.2 multi_head_attention


def causal_mask(T_q: int, T_k: int | None = None, device=None) -> torch.Tensor:
    """Bool (T_q, T_k), True where query i may attend key j: j <= i + (T_k - T_q), the queries being the
    LAST T_q of T_k positions. The fast path passes it to F.scaled_dot_product_attention for a chunk of
    new tokens after a cached prefix (bottom-right aligned; the kernel's is_causal is top-left)."""
    T_k = T_q if T_k is None else T_k
    return torch.ones(T_q, T_k, dtype=torch.bool, device=device).tril(diagonal=T_k - T_q)


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.n_head, self.n_kv_head, self.head_dim = config.n_head, config.n_kv_head, config.head_dim
        self.impl, self.qk_norm, self.dropout = config.primitives, config.qk_norm, config.dropout
        self.rope_theta = config.rope_theta
        # q, k and v in one matmul (faster than three); with GQA k and v are narrower than q.
        self.sizes = [self.n_head * self.head_dim, self.n_kv_head * self.head_dim, self.n_kv_head * self.head_dim]
        layer = Linear if config.manual else nn.Linear  # torch's or ours, decided once (config.primitives)
        self.c_attn = layer(config.n_embd, sum(self.sizes), bias=config.bias)
        self.c_proj = layer(config.n_embd, config.n_embd, bias=config.bias)
        self.head_norm = unit_rms_norm(self.head_dim, config.manual) if config.qk_norm else None
        self.resid_dropout = nn.Dropout(config.dropout) if config.dropout > 0 else nn.Identity()

    def qkv(self, x: torch.Tensor, rope=None, kv_cache=None, layer_idx: int = 0):
        """Project x (B, T, C) to per-head q (B, H, T, hd), k and v (B, H_kv, T_k, hd): QK-norm, RoPE at
        the positions `rope` stands for: rope_tables' (cos, sin) for them, or the positions (T,)
        themselves (None: no rotation), then the KV cache (all keys and values so far)."""
        q, k, v = self.c_attn(x).split(self.sizes, dim=-1)
        # QK-norm, RoPE and the cache work per head: (B, T, heads * hd) -> (B, heads, T, hd)
        q, k, v = (t.unflatten(-1, (-1, self.head_dim)).transpose(1, 2) for t in (q, k, v))
        if self.qk_norm:  # parameter-free RMSNorm per head: bounds the attention logits
            q, k = self.head_norm(q), self.head_norm(k)
        if rope is not None:  # RoPE rotates queries and keys only: values carry content, not position
            q = Rotate.apply(q, rope, self.rope_theta)  # positions.rope with a one-rotation backward
            k = Rotate.apply(k, rope, self.rope_theta)
        if kv_cache is not None:  # store this step's keys/values, get back all of them so far
            k, v = kv_cache.update(layer_idx, k, v)
        return q, k, v

    def forward(self, x: torch.Tensor, rope=None, kv_cache=None, layer_idx: int = 0) -> torch.Tensor:
        """x (B, T, C) -> (B, T, C). rope: RoPE's (cos, sin) tables for these tokens' positions (or the positions
        (T,)), or None."""
        q, k, v = self.qkv(x, rope, kv_cache, layer_idx)
        T_q, T_k = q.size(2), k.size(2)
        if self.impl == "torch":
            # Training (T_q == T_k): the kernel's own causal mask. Decoding one token: it may see every
            # cached key. A chunk after a cached prefix: an explicit bottom-right-aligned mask.
            mask = None if T_q == T_k or T_q == 1 else causal_mask(T_q, T_k, q.device)
            extra = {"enable_gqa": True} if self.n_kv_head != self.n_head else {}
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=T_q == T_k and T_q > 1,
                                               dropout_p=self.dropout if self.training else 0.0, **extra)
            y = y.transpose(1, 2).flatten(2)  # (B, T, n_head * hd)
        else:  # the from-scratch function takes one vector per token: back to (B, T, heads * hd)
            y, _ = multi_head_attention(*(t.transpose(1, 2).flatten(2) for t in (q, k, v)), self.n_head)
        return self.resid_dropout(self.c_proj(y))

    @torch.no_grad()
    def attention_weights(self, x: torch.Tensor, rope=None) -> torch.Tensor:
        """The (B, n_head, T, T) softmax weights for input x (no cache): what the visualiser draws."""
        q, k, v = self.qkv(x, rope)
        _, weights = multi_head_attention(*(t.transpose(1, 2).flatten(2) for t in (q, k, v)), self.n_head)
        return weights
