"""Debugging challenge ★★★ (commit 1.1): our GPT-2 small reports 163M parameters where Hugging Face
says 124M, yet the untied llama lineage agrees with the published count. The count is taken from
what a checkpoint saves, which sounds like the safest source. Find the bug; which test catches it?
(★ question 8 of this README is the hint.)

    python -m tools.challenges debug_count_parameters_state_dict
"""
# ruff: noqa: F821 (runs inside a copy of phase1_model.params: its imports and names are in scope)

TARGET = "phase1_model.params"
COMMIT = "1.1"
EXERCISE = "count_parameters"


def count_parameters(model):
    total = sum(t.numel() for t in model.state_dict().values())  # everything a checkpoint stores
    embedding = sum(m.weight.numel() for m in model.modules() if isinstance(m, EMBEDDING_TYPES))
    return {"total": total, "embedding": embedding, "non_embedding": total - embedding}
