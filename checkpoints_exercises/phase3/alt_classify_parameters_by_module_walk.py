"""Alternative solution (commit 3.1, classify_parameters): give each parameter its role while walking
the modules (a table's weight is an embedding, lm_head's weight the head), then list the parameters once
in model.named_parameters() order. Different bookkeeping from the reference's id sets; the same roles:
by the module's type (EMBEDDING_TYPES, LINEAR_TYPES), never by a class name."""

TARGET = "phase3_optim.param_groups"
COMMIT = "3.1"
EXERCISE = "classify_parameters"

from phase1_model.embedding import EMBEDDING_TYPES  # noqa: E402
from phase1_model.linear import LINEAR_TYPES  # noqa: E402


def classify_parameters(model):
    role = {}
    head = getattr(model, "lm_head", None)
    if isinstance(head, LINEAR_TYPES):
        role[id(head.weight)] = "head"
    for module in model.modules():
        if isinstance(module, EMBEDDING_TYPES):
            for p in module.parameters(recurse=False):
                role[id(p)] = "embedding"  # overrides "head" for a tied matrix: it is the input table
    kinds = {"matrix": [], "head": [], "embedding": [], "vector": []}
    for name, p in model.named_parameters():
        if p.requires_grad:
            kinds[role.get(id(p), "matrix" if p.dim() >= 2 else "vector")].append((name, p))
    return kinds
