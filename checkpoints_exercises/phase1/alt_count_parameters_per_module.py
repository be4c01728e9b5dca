"""Alternative solution (commit 1.1, count_parameters): walk the modules instead of model.parameters().

Each module lists only its own parameters (recurse=False); a dict keyed by the tensor's id keeps each
shared tensor once and remembers whether ANY of its owners is an embedding table. Same counts as the
reference, which collects embedding ids first and then sums over model.parameters()."""

TARGET = "phase1_model.params"
COMMIT = "1.1"
EXERCISE = "count_parameters"


def count_parameters(model):
    seen = {}  # id -> [numel, owned by an embedding]
    for module in model.modules():
        for p in module.parameters(recurse=False):
            entry = seen.setdefault(id(p), [p.numel(), False])
            entry[1] = entry[1] or isinstance(module, EMBEDDING_TYPES)  # noqa: F821 (the copy's global)
    total = sum(n for n, _ in seen.values())
    embedding = sum(n for n, is_emb in seen.values() if is_emb)
    return {"total": total, "embedding": embedding, "non_embedding": total - embedding}
