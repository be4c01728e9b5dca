"""Debugging challenge ★★ (commit 3.1): "an embedding is anything whose class name ends in Embedding."
It sorts our GPT perfectly, with torch's layers and with the from-scratch ones. Then someone adds an
image encoder whose PatchEmbedding is a projection matrix, and it silently trains without weight decay.
Find the bug; which test catches it?"""

TARGET = "phase3_optim.param_groups"
COMMIT = "3.1"
EXERCISE = "classify_parameters"


def classify_parameters(model):
    tables = {id(p) for m in model.modules() if type(m).__name__.endswith("Embedding")
              for p in m.parameters(recurse=False)}
    head = getattr(model, "lm_head", None)
    kinds = {"matrix": [], "head": [], "embedding": [], "vector": []}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        if id(p) in tables:
            kinds["embedding"].append((name, p))
        elif head is not None and p is head.weight:
            kinds["head"].append((name, p))
        else:
            kinds["matrix" if p.ndim >= 2 else "vector"].append((name, p))
    return kinds
