"""Alternative solution (commit 1.2, attention): one head at a time, one query row at a time.

The reference is vectorised over every leading dimension and all query rows at once. This version
flattens the leading dimensions (batch x heads) and loops: for each head and each query i, score the
keys i may see, softmax, and average the values. Slow, but it is eq. 1 read literally, and it gives
the same output and weights (masked entries get weight exactly 0)."""

TARGET = "phase1_model.attention"
COMMIT = "1.2"
EXERCISE = "attention"

import math  # noqa: E402

import torch  # noqa: E402


def scaled_dot_product_attention(q, k, v, mask=None):
    *lead, T_q, d = q.shape
    T_k = k.size(-2)
    qs, ks, vs = q.reshape(-1, T_q, d), k.reshape(-1, T_k, d), v.reshape(-1, T_k, v.size(-1))
    outs, weights = [], []
    for qh, kh, vh in zip(qs, ks, vs):  # one head of one sequence
        w = torch.zeros(T_q, T_k, dtype=q.dtype, device=q.device)
        for i in range(T_q):
            allowed = torch.ones(T_k, dtype=torch.bool, device=q.device) if mask is None else mask[i]
            scores = kh[allowed] @ qh[i] / math.sqrt(d)
            w[i, allowed] = torch.softmax(scores, dim=0)
        outs.append(w @ vh)
        weights.append(w)
    return torch.stack(outs).reshape(*lead, T_q, v.size(-1)), torch.stack(weights).reshape(*lead, T_q, T_k)
