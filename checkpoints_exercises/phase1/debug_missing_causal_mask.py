"""Debugging challenge ★★★ (commit 1.2): with primitives="manual" the model trains suspiciously
well — training loss drops to almost zero within a few hundred steps — yet what it generates is
gibberish. The mask is built correctly and passed in. Find the bug in this attention; which test
catches it, and why does the training loss lie?"""

TARGET = "phase1_model.attention"
COMMIT = "1.2"
EXERCISE = "attention"

import math  # noqa: E402

import torch.nn.functional as F  # noqa: E402


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))
    if mask is not None:
        scores.masked_fill(~mask, float("-inf"))  # "fill the future with -inf"
    weights = F.softmax(scores, dim=-1)
    return weights @ v, weights
