"""Alternative solution (commit 1.2, merge_heads): permute back, then flatten the last two dimensions
(the reference uses transpose + reshape; flatten copies too when the permuted tensor is not contiguous)."""

TARGET = "phase1_model.attention"
COMMIT = "1.2"
EXERCISE = "merge_heads"


def merge_heads(x):
    return x.permute(0, 2, 1, 3).flatten(-2)
