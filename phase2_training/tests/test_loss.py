"""Commit 2.1: stable log-softmax and cross-entropy against torch, perplexity, bits per byte."""

import math

import pytest
import torch
import torch.nn.functional as F


@pytest.mark.commit("2.1", "log_softmax")
def test_log_softmax_equals_torch_on_random_logits(impl):
    loss = impl("phase2_training.loss")
    x = torch.randn(4, 7, 50, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(loss.log_softmax(x), torch.log_softmax(x, dim=-1))
    torch.testing.assert_close(loss.log_softmax(x, dim=1), torch.log_softmax(x, dim=1))


@pytest.mark.commit("2.1", "log_softmax")
def test_log_softmax_is_finite_for_logits_times_1000(impl):
    loss = impl("phase2_training.loss")
    x = 1000 * torch.randn(3, 20, generator=torch.Generator().manual_seed(1))
    out = loss.log_softmax(x)
    assert torch.isfinite(out).all(), "exp(1000) overflows: subtract the max first"
    torch.testing.assert_close(out, torch.log_softmax(x, dim=-1))


@pytest.mark.commit("2.1", "cross_entropy")
@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_cross_entropy_equals_torch_including_huge_logits(impl, scale):
    loss = impl("phase2_training.loss")
    g = torch.Generator().manual_seed(2)
    logits = scale * torch.randn(2, 5, 11, generator=g)
    targets = torch.randint(11, (2, 5), generator=g)
    ours = loss.cross_entropy(logits, targets)
    assert torch.isfinite(ours)
    torch.testing.assert_close(ours, F.cross_entropy(logits.view(-1, 11), targets.view(-1)))


@pytest.mark.commit("2.1", "cross_entropy")
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_skips_ignore_index_like_torch(impl, reduction):
    loss = impl("phase2_training.loss")
    g = torch.Generator().manual_seed(3)
    logits = torch.randn(3, 6, 9, generator=g)
    targets = torch.randint(9, (3, 6), generator=g)
    targets[0, :4] = -1
    targets[2, 5] = -1
    ours = loss.cross_entropy(logits, targets, ignore_index=-1, reduction=reduction)
    theirs = F.cross_entropy(logits.view(-1, 9), targets.view(-1), ignore_index=-1, reduction=reduction)
    torch.testing.assert_close(ours.reshape(-1) if reduction == "none" else ours, theirs)


@pytest.mark.commit("2.1", "cross_entropy")
def test_cross_entropy_gradient_equals_torch(impl):
    loss = impl("phase2_training.loss")
    g = torch.Generator().manual_seed(4)
    a = torch.randn(8, 13, generator=g, dtype=torch.float64, requires_grad=True)
    b = a.detach().clone().requires_grad_(True)
    targets = torch.randint(13, (8,), generator=g)
    targets[3] = -100
    loss.cross_entropy(a, targets).backward()
    F.cross_entropy(b, targets).backward()
    torch.testing.assert_close(a.grad, b.grad)


@pytest.mark.commit("2.1", "cross_entropy")
def test_cross_entropy_of_uniform_logits_is_ln_vocab(impl):
    loss = impl("phase2_training.loss")
    value = loss.cross_entropy(torch.zeros(4, 100), torch.arange(4))
    assert value.item() == pytest.approx(math.log(100), abs=1e-5)


@pytest.mark.commit("2.1")
def test_cross_entropy_names_shape_mismatch():
    from phase2_training.loss import cross_entropy
    with pytest.raises(ValueError, match="targets of shape"):
        cross_entropy(torch.zeros(2, 3, 5), torch.zeros(2, 4, dtype=torch.long))


@pytest.mark.commit("2.1")
def test_perplexity_is_exp_of_mean_loss():
    from phase2_training.loss import perplexity
    assert perplexity(math.log(50)) == pytest.approx(50)
    assert perplexity(1e6) == math.inf


@pytest.mark.commit("2.1", "nats_and_bytes")
def test_uniform_model_over_bytes_costs_8_bits_per_byte(impl):
    loss = impl("phase2_training.loss")
    targets = torch.randint(256, (4, 32), generator=torch.Generator().manual_seed(5))
    per_token = loss.cross_entropy(torch.zeros(4, 32, 256), targets, reduction="none")
    nats, nbytes = loss.nats_and_bytes(per_token, targets, torch.ones(256, dtype=torch.long))
    assert int(nbytes) == 4 * 32
    assert loss.bits_per_byte(nats, nbytes) == pytest.approx(8.0, rel=1e-6)


@pytest.mark.commit("2.1", "nats_and_bytes")
def test_bits_per_byte_weights_by_token_length_and_skips_specials_and_padding(impl):
    loss = impl("phase2_training.loss")
    token_bytes = torch.tensor([1, 3, 0, 2])        # id 2 is a special token (<|bos|>): 0 bytes
    targets = torch.tensor([[0, 1, 2, 3, -1]])      # -1: padding
    per_token = torch.tensor([[1.0, 2.0, 5.0, 4.0, 9.0]])
    nats, nbytes = loss.nats_and_bytes(per_token, targets, token_bytes)
    assert float(nats) == pytest.approx(1 + 2 + 4)   # the special and the pad count for nothing
    assert int(nbytes) == 1 + 3 + 2
    assert loss.bits_per_byte(nats, nbytes) == pytest.approx(7 / (math.log(2) * 6))


@pytest.mark.commit("2.1")
def test_bits_per_byte_of_nothing_is_an_error():
    from phase2_training.loss import bits_per_byte
    with pytest.raises(ValueError, match="zero bytes"):
        bits_per_byte(1.0, 0)


@pytest.mark.commit("2.1")
def test_unigram_baseline_matches_closed_form():
    from phase2_training.loss import unigram_bits_per_byte
    train = torch.tensor([0, 0, 0, 1])               # counts+1: 4, 2 -> p = 4/6, 2/6
    val = torch.tensor([0, 1])
    expected = (-math.log(4 / 6) - math.log(2 / 6)) / (math.log(2) * 2)
    assert unigram_bits_per_byte(train, val, torch.ones(2, dtype=torch.long)) == pytest.approx(expected)
