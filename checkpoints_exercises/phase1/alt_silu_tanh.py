"""Alternative solution (commit 1.3, silu): sigmoid(z) = (1 + tanh(z / 2)) / 2. tanh saturates at +-1
instead of overflowing, so value and gradient stay finite for every x without splitting on the sign."""

TARGET = "phase1_model.mlp"
COMMIT = "1.3"
EXERCISE = "silu"

import torch  # noqa: E402


def silu(x):
    return x * 0.5 * (1 + torch.tanh(x / 2))
