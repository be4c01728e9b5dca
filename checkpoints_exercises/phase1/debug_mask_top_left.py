"""Debugging challenge ★★★ (commit 1.2): training is perfect and sampling without the KV cache is
fine, but with the cache (primitives="manual") generation degrades: decoding one token at a time
only ever looks at the first cached key. Find the bug; which test catches it?"""

TARGET = "phase1_model.attention"
COMMIT = "1.2"
EXERCISE = "multi_head_attention"

import math  # noqa: E402

import torch  # noqa: E402


def multi_head_attention(q, k, v, n_head):
    B, T_q, C = q.shape
    T_k, hd = k.size(1), C // n_head
    q = q.reshape(B, T_q, n_head, hd).transpose(1, 2)
    k = k.reshape(B, T_k, -1, hd).transpose(1, 2)
    v = v.reshape(B, T_k, -1, hd).transpose(1, 2)
    n_rep = n_head // k.size(1)
    k, v = k.repeat_interleave(n_rep, dim=1), v.repeat_interleave(n_rep, dim=1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(hd)
    future = torch.ones(T_q, T_k, dtype=torch.bool, device=q.device).triu(diagonal=1)  # "j > i is the future"
    weights = softmax(scores.masked_fill(future, float("-inf")), dim=-1)  # noqa: F821 (the copy's softmax)
    y = (weights @ v).transpose(1, 2).reshape(B, T_q, C)
    return y, weights
