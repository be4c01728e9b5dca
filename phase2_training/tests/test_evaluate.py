"""Commit 2.2: evaluation on held-out batches."""

import math

import pytest
import torch
import torch.nn.functional as F

from phase1_model import GPT, GPTConfig


def _model():
    torch.manual_seed(0)
    return GPT(GPTConfig.from_lineage("gpt2", vocab_size=50, block_size=16, n_layer=1, n_head=2, n_embd=16,
                                      dropout=0.5))


def _batches(n=3):
    g = torch.Generator().manual_seed(1)
    return [(torch.randint(50, (2, 16), generator=g), torch.randint(50, (2, 16), generator=g)) for _ in range(n)]


@pytest.mark.commit("2.2", "evaluate")
def test_evaluate_is_the_token_mean_of_cross_entropy_in_eval_mode(impl):
    ev = impl("phase2_training.evaluate")
    model, batches = _model(), _batches()
    model.eval()
    with torch.no_grad():
        expected = torch.cat([F.cross_entropy(model(x)[0].flatten(0, 1), y.flatten(), reduction="none")
                              for x, y in batches]).mean().item()
    model.train()
    out = ev.evaluate(model, batches)
    assert out["loss"] == pytest.approx(expected, rel=1e-5)   # dropout was off: deterministic
    assert model.training, "evaluate must put the model back in training mode"


@pytest.mark.commit("2.2", "evaluate")
def test_evaluate_averages_over_tokens_not_batches_and_skips_padding(impl):
    ev = impl("phase2_training.evaluate")
    model = _model().eval()
    (x1, y1), (x2, y2) = _batches(2)
    y2 = y2.clone()
    y2[:, 4:] = -1                              # mostly padding: must weigh less than the full batch
    with torch.no_grad():
        l1 = F.cross_entropy(model(x1)[0].flatten(0, 1), y1.flatten(), reduction="sum")
        l2 = F.cross_entropy(model(x2)[0].flatten(0, 1), y2.flatten(), reduction="sum", ignore_index=-1)
    expected = ((l1 + l2) / (y1.numel() + 8)).item()
    assert ev.evaluate(model, [(x1, y1), (x2, y2)])["loss"] == pytest.approx(expected, rel=1e-5)
    assert not model.training


@pytest.mark.commit("2.2", "evaluate")
def test_evaluate_reports_bits_per_byte_with_token_bytes(impl):
    ev = impl("phase2_training.evaluate")
    model = _model()
    with torch.no_grad():
        model.lm_head.weight.zero_()            # uniform predictions: ln(50) nats per token
        model.transformer.wte.weight.zero_()
    out = ev.evaluate(model, _batches(), token_bytes=torch.full((50,), 2))
    assert out["loss"] == pytest.approx(math.log(50), rel=1e-5)
    assert out["bpb"] == pytest.approx(math.log2(50) / 2, rel=1e-5)
