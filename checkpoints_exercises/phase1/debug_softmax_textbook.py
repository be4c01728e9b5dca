"""Debugging challenge ★★ (commit 1.1): softmax exactly as the textbook prints it. It agrees with torch
on every random test input, and the model trains for a while, until one attention score passes ~88
and the loss becomes nan. Find the bug; which test catches it?"""

TARGET = "phase1_model.softmax"
COMMIT = "1.1"
EXERCISE = "softmax"

import torch  # noqa: E402


def softmax(x, dim=-1):
    e = torch.exp(x)
    return e / e.sum(dim=dim, keepdim=True)
