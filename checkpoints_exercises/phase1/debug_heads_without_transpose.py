"""Debugging challenge ★★★ (commit 1.2): "(B, T, C) to (B, n_head, T, head_dim) is just a reshape."
Shapes are right everywhere, the weights are causal probability rows, a one-head model is perfect —
and with several heads the model learns far worse than it should. Find the bug; which test catches
it? (Draw which channels of which token land in head 0.)"""

TARGET = "phase1_model.attention"
COMMIT = "1.2"
EXERCISE = "multi_head_attention"

import math  # noqa: E402

import torch  # noqa: E402


def multi_head_attention(q, k, v, n_head):
    B, T_q, C = q.shape
    T_k, hd = k.size(1), C // n_head
    n_kv_head = k.size(-1) // hd
    q = q.reshape(B, n_head, T_q, hd)
    k = k.reshape(B, n_kv_head, T_k, hd)
    v = v.reshape(B, n_kv_head, T_k, hd)
    n_rep = n_head // n_kv_head
    k, v = k.repeat_interleave(n_rep, dim=1), v.repeat_interleave(n_rep, dim=1)
    scores = q @ k.transpose(-2, -1) / math.sqrt(hd)
    future = torch.ones(T_q, T_k, dtype=torch.bool, device=q.device).triu(diagonal=T_k - T_q + 1)
    weights = softmax(scores.masked_fill(future, float("-inf")), dim=-1)  # noqa: F821 (the copy's softmax)
    y = (weights @ v).reshape(B, T_q, C)
    return y, weights
