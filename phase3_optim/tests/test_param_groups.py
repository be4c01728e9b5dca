"""Parameter groups (commit 3.1): no weight decay on norms, biases and embeddings; per-group lr."""

import pytest
import torch

from phase3_optim.tests.helpers import tiny_gpt


def names(kinds, kind):
    return sorted(n for n, _ in kinds[kind])


@pytest.mark.commit("3.1", "classify_parameters")
def test_gpt2_norms_and_biases_are_vectors_and_tied_embedding_is_an_embedding(impl):
    pg = impl("phase3_optim.param_groups")
    model = tiny_gpt("gpt2", n_layer=2)
    kinds = pg.classify_parameters(model)
    assert names(kinds, "embedding") == ["transformer.wpe.weight", "transformer.wte.weight"]
    assert kinds["head"] == [], "a tied lm_head is the embedding matrix, listed once as an embedding"
    assert all(n.endswith(("bias", "ln_1.weight", "ln_2.weight", "ln_f.weight")) for n in names(kinds, "vector"))
    assert all(p.ndim == 2 for _, p in kinds["matrix"]) and len(kinds["matrix"]) == 8
    every = [p for ps in kinds.values() for _, p in ps]
    assert len(every) == len({id(p) for p in every}) == len(list(model.parameters())), "each tensor exactly once"


@pytest.mark.commit("3.1", "classify_parameters")
def test_untied_lm_head_is_the_head_and_frozen_parameters_are_left_out(impl):
    pg = impl("phase3_optim.param_groups")
    model = tiny_gpt("llama")
    model.transformer.ln_f.weight.requires_grad_(False)
    kinds = pg.classify_parameters(model)
    assert names(kinds, "head") == ["lm_head.weight"]
    assert names(kinds, "embedding") == ["transformer.wte.weight"]
    assert "transformer.ln_f.weight" not in names(kinds, "vector")


@pytest.mark.commit("3.1", "classify_parameters")
def test_the_manual_path_gpt_is_classified_like_the_torch_path_gpt(impl):
    # primitives="manual" builds TokenEmbedding and our Linear: same roles, same names, same kinds
    pg = impl("phase3_optim.param_groups")
    for lineage in ("gpt2", "llama"):
        fast = pg.classify_parameters(tiny_gpt(lineage))
        manual = pg.classify_parameters(tiny_gpt(lineage, primitives="manual"))
        assert {k: names(manual, k) for k in manual} == {k: names(fast, k) for k in fast}, lineage
        assert names(manual, "embedding")[-1] == "transformer.wte.weight"


@pytest.mark.commit("3.1", "classify_parameters")
def test_a_projection_called_embedding_is_a_matrix(impl):
    # ViT's "patch embedding" is a projection (x @ W^T + b over flattened patches): it scales activations
    # like any matrix and is decayed. Only lookup tables (nn.Embedding, TokenEmbedding) are embeddings,
    # whatever a class is called.
    import torch.nn as nn

    from phase1_model.embedding import TokenEmbedding
    pg = impl("phase3_optim.param_groups")

    class PatchEmbedding(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight, self.bias = nn.Parameter(torch.randn(8, 12)), nn.Parameter(torch.zeros(8))

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.patches, self.tokens = PatchEmbedding(), TokenEmbedding(10, 8)
            self.lm_head = nn.Linear(8, 10, bias=False)

    kinds = pg.classify_parameters(Model())
    assert names(kinds, "matrix") == ["patches.weight"], \
        "PatchEmbedding is a projection, not a lookup table: decide by type (EMBEDDING_TYPES), not by name"
    assert names(kinds, "embedding") == ["tokens.weight"], "a TokenEmbedding is a table"
    assert names(kinds, "head") == ["lm_head.weight"] and names(kinds, "vector") == ["patches.bias"]


@pytest.mark.commit("3.1")
def test_param_groups_decay_only_matrices_and_head_and_scale_lr_per_kind():
    from phase3_optim.param_groups import param_groups
    groups = param_groups(tiny_gpt("llama"), weight_decay=0.1, lr=1e-3, lr_scales={"embedding": 10.0})
    by_kind = {g["kind"]: g for g in groups}
    assert {k: g["weight_decay"] for k, g in by_kind.items()} == \
        {"matrix": 0.1, "head": 0.1, "embedding": 0.0, "vector": 0.0}
    assert by_kind["embedding"]["lr"] == pytest.approx(1e-2) and by_kind["matrix"]["lr"] == pytest.approx(1e-3)
    opt = torch.optim.AdamW(groups)  # torch accepts our groups as they are
    assert len(opt.param_groups) == 4
    with pytest.raises(ValueError, match="unknown kinds"):
        param_groups(tiny_gpt(), 0.1, 1e-3, lr_scales={"embeddings": 2.0})


@pytest.mark.commit("3.1")
def test_build_optimizer_names_and_a_clear_error_for_an_unknown_one():
    from phase3_optim import AdamW, MuonAdamW, build_optimizer
    model = tiny_gpt()
    assert isinstance(build_optimizer(model, "adamw", lr=1e-3, weight_decay=0.1), AdamW)
    muon = build_optimizer(model, "muon", lr=1e-3, weight_decay=0.1)
    assert isinstance(muon, MuonAdamW)
    assert {g["kind"] for g in muon.param_groups if g["use_muon"]} == {"matrix"}
    with pytest.raises(ValueError, match="adamw, adam, sgd, muon"):
        build_optimizer(model, "lion", lr=1e-3, weight_decay=0.1)
