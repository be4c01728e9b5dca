"""Alternative solution (commit 1.2, multi_head_attention): one head at a time, one query row at a time.

The reference is vectorised over heads and query rows. This version slices each head's channels out
of q (and the key/value head it shares, h // (n_head // n_kv_head)), and for each query i scores only
the keys it may see (positions up to i + T_k - T_q), normalises with exp(s - max) / sum (a stable
softmax written in place), averages the values, and writes the head's output back into its channels.
Slow, but it is eq. 1 read literally, and it gives the same output and weights."""

TARGET = "phase1_model.attention"
COMMIT = "1.2"
EXERCISE = "multi_head_attention"

import math  # noqa: E402

import torch  # noqa: E402


def multi_head_attention(q, k, v, n_head):
    B, T_q, C = q.shape
    T_k, d = k.size(1), C // n_head
    group = n_head // (k.size(-1) // d)  # query heads per key/value head
    ys, ws = [], []
    for b in range(B):
        outs, rows_of_heads = [], []
        for h in range(n_head):
            g = h // group
            qh, kh, vh = q[b, :, h * d:(h + 1) * d], k[b, :, g * d:(g + 1) * d], v[b, :, g * d:(g + 1) * d]
            out_rows, w_rows = [], []
            for i in range(T_q):
                seen = i + T_k - T_q + 1  # keys 0 .. i + T_k - T_q
                s = kh[:seen] @ qh[i] / math.sqrt(d)
                e = torch.exp(s - s.max())
                w = e / e.sum()
                out_rows.append(w @ vh[:seen])
                w_rows.append(torch.cat([w, w.new_zeros(T_k - seen)]))  # the future gets exactly 0
            outs.append(torch.stack(out_rows))
            rows_of_heads.append(torch.stack(w_rows))
        ys.append(torch.cat(outs, dim=-1))  # head h's output in its channels
        ws.append(torch.stack(rows_of_heads))
    return torch.stack(ys), torch.stack(ws)
