"""Alternative solution (commit 1.3, gelu): the same two functions through other identities.

Exact: Phi(x) = erfc(-x / sqrt 2) / 2 instead of (1 + erf(x / sqrt 2)) / 2. Tanh approximation:
(1 + tanh(z)) / 2 = sigmoid(2z), so GPT-2's GELU is x * sigmoid(2 sqrt(2/pi) (x + 0.044715 x^3))."""

TARGET = "phase1_model.mlp"
COMMIT = "1.3"
EXERCISE = "gelu"

import math  # noqa: E402

import torch  # noqa: E402


def gelu(x, approximate="none"):
    if approximate == "tanh":
        return x * torch.sigmoid(2 * math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x))
    return 0.5 * x * torch.erfc(-x / math.sqrt(2.0))
