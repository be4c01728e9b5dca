"""Debugging challenge ★★★ (commit 1.3): SiLU as the paper prints it, x / (1 + exp(-x)). Its values
equal torch's everywhere, even at x = -1000. A llama run still dies with nan gradients the first time
an MLP gate goes below about -88. Find the bug; which test catches it?"""

TARGET = "phase1_model.mlp"
COMMIT = "1.3"
EXERCISE = "silu"

import torch  # noqa: E402


def silu(x):
    return x / (1 + torch.exp(-x))
