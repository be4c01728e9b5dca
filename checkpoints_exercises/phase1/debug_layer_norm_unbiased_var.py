"""Debugging challenge ★★★ (commit 1.3): a hand-written LayerNorm that reads like the paper and
uses the obvious library call for the variance. Loading a gpt2 checkpoint into the manual path
gives logits a little off from the `primitives="torch"` path, and the gap grows as n_embd shrinks.
Find the bug; which test catches it?

    python -m tools.challenges debug_layer_norm_unbiased_var
"""
# ruff: noqa: F821 (runs inside a copy of phase1_model.norms: its imports and names are in scope)

TARGET = "phase1_model.norms"
COMMIT = "1.3"
EXERCISE = "layer_norm"


def layer_norm(x, weight=None, bias=None, eps=1e-5):
    mean = x.mean(dim=-1, keepdim=True)
    var = x.var(dim=-1, keepdim=True)  # the variance of the features
    y = (x - mean) / torch.sqrt(var + eps)
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y
