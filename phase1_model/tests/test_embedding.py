"""Token embedding from scratch (commit 1.1), checked against torch's nn.Embedding."""

import pytest
import torch
import torch.nn.functional as F


@pytest.mark.commit("1.1", "token_embedding")
def test_embedding_lookup_equals_torch_and_the_one_hot_product(impl):
    embedding = impl("phase1_model.embedding")
    torch.manual_seed(0)
    emb = embedding.TokenEmbedding(10, 4)
    idx = torch.tensor([[1, 2, 2], [9, 0, 1]])
    out = emb(idx)
    assert out.shape == (2, 3, 4)
    torch.testing.assert_close(out, F.embedding(idx, emb.weight))
    torch.testing.assert_close(out, F.one_hot(idx, 10).float() @ emb.weight)  # the definition: one_hot(i) @ W


@pytest.mark.commit("1.1", "token_embedding")
def test_embedding_gradient_sums_over_repeated_tokens_like_nn_embedding(impl):
    embedding = impl("phase1_model.embedding")
    torch.manual_seed(0)
    emb = embedding.TokenEmbedding(6, 3)
    ref = torch.nn.Embedding(6, 3)
    ref.weight.data.copy_(emb.weight.data)
    idx = torch.tensor([[0, 3, 3, 3, 5]])
    upstream = torch.randn(1, 5, 3)
    (emb(idx) * upstream).sum().backward()
    (ref(idx) * upstream).sum().backward()
    torch.testing.assert_close(emb.weight.grad, ref.weight.grad)
    assert emb.weight.grad[1].abs().sum() == 0  # a token that never appears gets no gradient


@pytest.mark.commit("1.1", "token_embedding")
@pytest.mark.parametrize("bad", [10, 11, -1])
def test_out_of_range_ids_raise_a_clear_index_error(impl, bad):
    # 10 is one past the table (torch: an opaque index error, or garbage on some GPUs); -1 would silently
    # read the LAST row with plain indexing.
    embedding = impl("phase1_model.embedding")
    emb = embedding.TokenEmbedding(10, 4)
    with pytest.raises(IndexError, match="vocab"):
        emb(torch.tensor([[0, bad, 3]]))
    assert emb(torch.tensor([[0, 9]])).shape == (1, 2, 4)  # the edges themselves are fine
