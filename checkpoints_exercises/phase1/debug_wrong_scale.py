"""Debugging challenge ★★★ (commit 1.2): attention "works" — the output has the right shape, the rows
of the weights sum to one, the mask is right — but a bigger head_dim trains worse and worse, and the
attention maps look almost uniform at init. Find the bug; which test catches it?"""

TARGET = "phase1_model.attention"
COMMIT = "1.2"
EXERCISE = "multi_head_attention"

import torch  # noqa: E402


def multi_head_attention(q, k, v, n_head):
    B, T_q, C = q.shape
    T_k, hd = k.size(1), C // n_head
    q = q.reshape(B, T_q, n_head, hd).transpose(1, 2)
    k = k.reshape(B, T_k, -1, hd).transpose(1, 2)
    v = v.reshape(B, T_k, -1, hd).transpose(1, 2)
    n_rep = n_head // k.size(1)
    k, v = k.repeat_interleave(n_rep, dim=1), v.repeat_interleave(n_rep, dim=1)
    scores = q @ k.transpose(-2, -1) / hd
    future = torch.ones(T_q, T_k, dtype=torch.bool, device=q.device).triu(diagonal=T_k - T_q + 1)
    weights = softmax(scores.masked_fill(future, float("-inf")), dim=-1)  # noqa: F821 (the copy's softmax)
    y = (weights @ v).transpose(1, 2).reshape(B, T_q, C)
    return y, weights
