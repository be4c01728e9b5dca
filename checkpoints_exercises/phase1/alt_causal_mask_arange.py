"""Alternative solution (commit 1.2, causal_mask): compare position indices instead of tril.

Query i sits at absolute position i + (T_k - T_q) (the new queries are the last T_q of the T_k
positions); it may attend key j when j <= that position. Broadcasting a column of query positions
against a row of key positions builds the same (T_q, T_k) bool matrix as ones().tril(diagonal)."""

TARGET = "phase1_model.attention"
COMMIT = "1.2"
EXERCISE = "causal_mask"

import torch  # noqa: E402


def causal_mask(T_q, T_k=None, device=None):
    T_k = T_q if T_k is None else T_k
    query_pos = torch.arange(T_k - T_q, T_k, device=device)[:, None]
    key_pos = torch.arange(T_k, device=device)[None, :]
    return key_pos <= query_pos
