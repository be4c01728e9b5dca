"""The bigram baseline (commit 1.1): loss at init and the closed-form count solution."""

import math

import pytest
import torch


@pytest.mark.commit("1.1", "bigram_forward")
def test_untrained_bigram_predicts_uniform_loss_ln_vocab(impl):
    bigram = impl("phase1_model.bigram")
    model = bigram.BigramLanguageModel(50)
    idx = torch.randint(0, 50, (3, 7))
    logits, loss = model(idx, torch.randint(0, 50, (3, 7)))
    assert logits.shape == (3, 7, 50)
    assert loss.item() == pytest.approx(math.log(50), abs=1e-6)
    assert model(idx)[1] is None


@pytest.mark.commit("1.1", "bigram_forward")
def test_count_fitted_bigram_loss_equals_the_plain_python_count_model(impl):
    bigram = impl("phase1_model.bigram")
    from phase1_model.bigram import bigram_counts_loss
    g = torch.Generator().manual_seed(0)
    tokens = torch.randint(0, 12, (400,), generator=g)
    model = bigram.BigramLanguageModel(12).fit_counts(tokens, smoothing=0.5)
    _, loss = model(tokens[None, :-1], tokens[None, 1:])
    assert loss.item() == pytest.approx(bigram_counts_loss(tokens.tolist(), 12, smoothing=0.5), rel=1e-5)


@pytest.mark.commit("1.1", "bigram_forward")
def test_bigram_loss_skips_ignore_index_targets(impl):
    bigram = impl("phase1_model.bigram")
    model = bigram.BigramLanguageModel(5)
    with torch.no_grad():
        model.table.weight.copy_(torch.randn(5, 5))
    idx, targets = torch.tensor([[0, 1, 2]]), torch.tensor([[1, -1, 3]])
    _, loss = model(idx, targets)
    logp = torch.log_softmax(model.table.weight, dim=-1)
    assert loss.item() == pytest.approx(-(logp[0, 1] + logp[2, 3]).item() / 2, rel=1e-5)


@pytest.mark.commit("1.1")
def test_bigram_generation_is_reproducible_with_a_seed():
    from phase1_model.bigram import BigramLanguageModel
    model = BigramLanguageModel(20).fit_counts(torch.randint(0, 20, (200,)))
    a, b = (model.generate(torch.zeros(1, 1, dtype=torch.long), 15, seed=3) for _ in range(2))
    assert a.shape == (1, 16) and torch.equal(a, b)
