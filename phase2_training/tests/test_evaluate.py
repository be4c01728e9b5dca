"""Commit 2.2: evaluation on held-out batches."""

import contextlib
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
    rng = torch.get_rng_state()
    out = ev.evaluate(model, batches)
    assert isinstance(out["loss"], float), f"'loss' is a {type(out['loss']).__name__}: return a Python float"
    assert out["loss"] == pytest.approx(expected, rel=1e-5)   # dropout was off: deterministic
    assert model.training, "evaluate must put the model back in training mode"
    assert torch.equal(torch.get_rng_state(), rng), "evaluate drew random numbers: a resumed run would diverge"


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
    got = ev.evaluate(model, [(x1, y1), (x2, y2)])["loss"]
    assert got == pytest.approx(expected, rel=1e-5), (
        f"loss {got}, expected {expected}: the mean over all counted tokens (total nats / total tokens). "
        "A mean of per-batch means lets a batch that is mostly padding weigh as much as a full one")
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


@pytest.mark.commit("2.2", "evaluate")
def test_evaluate_runs_every_forward_inside_autocast(impl):
    """The precision context (bf16/fp16 in phase 3) must wrap each forward pass: a spy context and a
    forward hook on the model record, for every call, whether it ran inside."""
    ev = impl("phase2_training.evaluate")
    model, batches = _model(), _batches()
    inside, seen = [False], []

    @contextlib.contextmanager
    def spy_autocast():
        inside[0] = True
        try:
            yield
        finally:
            inside[0] = False

    model.register_forward_pre_hook(lambda module, args: seen.append(inside[0]))
    plain = ev.evaluate(model, batches)["loss"]
    seen.clear()
    assert ev.evaluate(model, batches, autocast=spy_autocast)["loss"] == plain
    assert seen == [True] * len(batches), (
        f"forward passes inside autocast(): {seen}; run each model(x) inside `with autocast():`")


@pytest.mark.commit("2.2", "evaluate")
def test_evaluate_refuses_batches_without_a_counted_target(impl):
    ev = impl("phase2_training.evaluate")
    model = _model()
    (x, y), = _batches(1)
    with pytest.raises(ValueError):
        ev.evaluate(model, [(x, torch.full_like(y, -1))])
    with pytest.raises(ValueError):
        ev.evaluate(model, [])
    assert model.training
