"""Debugging challenge ★★★ (commit 1.3): "the exact GELU is strictly better than an approximation,
so use it everywhere". A GPT-2 checkpoint (trained with the tanh form) loads, and its logits differ
from Hugging Face's by about 1e-3: small, but enough to change a greedy sample now and then.
Find the bug; which test catches it?

    python -m tools.challenges debug_gelu_ignores_approximate
"""
# ruff: noqa: F821 (runs inside a copy of phase1_model.mlp: its imports and names are in scope)

TARGET = "phase1_model.mlp"
COMMIT = "1.3"
EXERCISE = "gelu"


def gelu(x, approximate="none"):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))  # exact erf for every `approximate`
