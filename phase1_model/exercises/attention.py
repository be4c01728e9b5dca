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
`scaled_dot_product_attention` below (with our softmax and Linear layers), which
also returns the attention weights for the visualiser. Tests check both agree.
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


def causal_mask(T_q: int, T_k: int | None = None, device=None) -> torch.Tensor:
    """Bool (T_q, T_k), True where query i may attend key j. The queries are the LAST T_q of the
    T_k positions (with a KV cache, earlier keys are already cached): j <= i + (T_k - T_q).
    CausalSelfAttention builds its masks with this function (see forward)."""
    T_k = T_q if T_k is None else T_k
    # >>> exercise 1.2 causal_mask
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.2:causal_mask
    raise NotImplementedError("exercise 1.2 causal_mask")
    # <<< exercise 1.2 causal_mask


def scaled_dot_product_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                                 mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """softmax(q k^T / sqrt(d) + mask) v from scratch. q (..., T_q, d), k and v (..., T_k, d),
    mask bool (T_q, T_k) with True = may attend (None = attend everywhere).
    Returns (output (..., T_q, d), weights (..., T_q, T_k)): each row of weights is a probability
    distribution over the keys, with weight exactly 0 where the mask is False."""
    # >>> exercise 1.2 attention
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.2:attention
    raise NotImplementedError("exercise 1.2 attention")
    # <<< exercise 1.2 attention


def split_heads(x: torch.Tensor, n_head: int) -> torch.Tensor:
    """(B, T, n_head * head_dim) -> (B, n_head, T, head_dim): head h owns channels h*hd .. (h+1)*hd - 1."""
    # >>> exercise 1.2 split_heads
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.2:split_heads
    raise NotImplementedError("exercise 1.2 split_heads")
    # <<< exercise 1.2 split_heads


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """(B, n_head, T, head_dim) -> (B, T, n_head * head_dim): the inverse of split_heads."""
    # >>> exercise 1.2 merge_heads
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=1.2:merge_heads
    raise NotImplementedError("exercise 1.2 merge_heads")
    # <<< exercise 1.2 merge_heads


def repeat_kv(x: torch.Tensor, n_rep: int) -> torch.Tensor:
    """(B, n_kv_head, T, d) -> (B, n_kv_head * n_rep, T, d): each key/value head serves n_rep query heads."""
    return x if n_rep == 1 else x.repeat_interleave(n_rep, dim=1)


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.n_head, self.n_kv_head, self.head_dim = config.n_head, config.n_kv_head, config.head_dim
        self.impl, self.qk_norm, self.dropout = config.primitives, config.qk_norm, config.dropout
        # q, k and v in one matmul (faster than three); with GQA k and v are narrower than q.
        self.sizes = [self.n_head * self.head_dim, self.n_kv_head * self.head_dim, self.n_kv_head * self.head_dim]
        layer = Linear if config.manual else nn.Linear  # torch's or ours, decided once (config.primitives)
        self.c_attn = layer(config.n_embd, sum(self.sizes), bias=config.bias)
        self.c_proj = layer(config.n_embd, config.n_embd, bias=config.bias)
        self.head_norm = unit_rms_norm(self.head_dim, config.manual) if config.qk_norm else None
        self.resid_dropout = nn.Dropout(config.dropout) if config.dropout > 0 else nn.Identity()

    def qkv(self, x: torch.Tensor, rope=None, kv_cache=None, layer_idx: int = 0):
        """Project x (B, T, C) to per-head q (B, H, T, hd), k and v (B, H_kv, T_k, hd), positions applied."""
        q, k, v = self.c_attn(x).split(self.sizes, dim=-1)
        q, k, v = split_heads(q, self.n_head), split_heads(k, self.n_kv_head), split_heads(v, self.n_kv_head)
        if self.qk_norm:  # parameter-free RMSNorm per head: bounds the attention logits
            q, k = self.head_norm(q), self.head_norm(k)
        if rope is not None:  # RoPE rotates queries and keys only: values carry content, not position
            cos, sin = (t.to(q.dtype) for t in rope)  # bf16 tables under autocast: no float32 round trip
            q, k = Rotate.apply(q, cos, sin), Rotate.apply(k, cos, sin)  # apply_rotary_emb, fused backward
        if kv_cache is not None:  # store this step's keys/values, get back all of them so far
            k, v = kv_cache.update(layer_idx, k, v)
        return q, k, v

    def forward(self, x: torch.Tensor, rope=None, kv_cache=None, layer_idx: int = 0) -> torch.Tensor:
        q, k, v = self.qkv(x, rope, kv_cache, layer_idx)
        T_q, T_k = q.size(2), k.size(2)
        if self.impl == "torch":
            # Training (T_q == T_k): the kernel's own causal mask. Decoding one token: it may see every
            # cached key. A chunk after a cached prefix: an explicit bottom-right-aligned mask.
            mask = None if T_q == T_k or T_q == 1 else causal_mask(T_q, T_k, q.device)
            extra = {"enable_gqa": True} if self.n_kv_head != self.n_head else {}
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=T_q == T_k and T_q > 1,
                                               dropout_p=self.dropout if self.training else 0.0, **extra)
        else:
            n_rep = self.n_head // self.n_kv_head
            y, _ = scaled_dot_product_attention(q, repeat_kv(k, n_rep), repeat_kv(v, n_rep),
                                                causal_mask(T_q, T_k, q.device))
        return self.resid_dropout(self.c_proj(merge_heads(y)))

    @torch.no_grad()
    def attention_weights(self, x: torch.Tensor, rope=None) -> torch.Tensor:
        """The (B, n_head, T, T) softmax weights for input x (no cache): what the visualiser draws."""
        q, k, v = self.qkv(x, rope)
        n_rep = self.n_head // self.n_kv_head
        _, weights = scaled_dot_product_attention(q, repeat_kv(k, n_rep), repeat_kv(v, n_rep),
                                                  causal_mask(q.size(2), k.size(2), q.device))
        return weights
