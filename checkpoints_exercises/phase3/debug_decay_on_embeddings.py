"""Debugging challenge ★★★ (commit 3.1): the parameter sorter below uses the simplest rule, "2-D means
matrix". Training still works. What does it get wrong, and why does it matter for rare tokens?"""

TARGET = "phase3_optim.param_groups"
COMMIT = "3.1"
EXERCISE = "classify_parameters"


def classify_parameters(model):
    kinds = {"matrix": [], "head": [], "embedding": [], "vector": []}
    for name, p in model.named_parameters():
        if p.requires_grad:
            kinds["matrix" if p.ndim >= 2 else "vector"].append((name, p))
    return kinds
