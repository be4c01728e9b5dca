"""Commit 2.4: capture_run_state / restore_run_state give an exact resume.

The oracle is the uninterrupted run itself: train, capture, keep training (what should happen next),
then restore the capture into a model, optimizer and loader built from OTHER seeds and train again.
Every loss, batch and random draw must be equal, bit for bit: the same operations on the same CPU
with one thread are deterministic, so any difference is something the capture or the restore lost.
The layout of the 'rng' entry is the learner's choice, so the round-trip tests run their own
capture and restore together (@pytest.mark.needs); the tests of capture alone check only what its
docstring fixes.
"""

import copy
import io
import random

import numpy as np
import pytest
import torch

from phase0_tokenizer.data import SequentialLoader
from phase1_model import GPT, GPTConfig
from phase2_training.checkpoint import StateDictFns
from phase2_training.device import seed_everything

DATA = (np.arange(4001, dtype=np.int64) * 7919 % 64).astype(np.uint16)  # 500 windows of 8 tokens, vocab 64


def _run_objects(seed: int):
    """A dropout model (dropout draws from torch's generator), AdamW, and a shuffled loader."""
    torch.manual_seed(seed)
    model = GPT(GPTConfig.from_lineage("gpt2", vocab_size=64, block_size=8, n_layer=1, n_head=2, n_embd=16,
                                       dropout=0.2))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    loader = SequentialLoader(DATA, batch_size=2, block_size=8, shuffle=True, seed=3)
    return model, optimizer, loader


def _train(model, optimizer, loader, steps: int) -> list[tuple]:
    """`steps` training steps; each also draws from Python's, NumPy's and torch's global generators,
    as data augmentation, sampling or a shuffle would. Returns (loss, batch, draws) per step."""
    out = []
    for _ in range(steps):
        x, y = next(loader)
        _, loss = model(x, y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        out.append((loss.item(), x.tolist(), (random.random(), float(np.random.rand()), torch.rand(()).item())))
    return out


def _weights_only_round_trip(state: dict) -> dict:
    """What a checkpoint does to the state: torch.save, then torch.load(weights_only=True) onto the CPU."""
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    try:
        return torch.load(buf, weights_only=True, map_location="cpu")
    except Exception as e:  # pickle.UnpicklingError names the type it refused
        pytest.fail(f"the captured state does not load with torch.load(weights_only=True) ({type(e).__name__}: "
                    f"{str(e).splitlines()[0][:200]}): keep it to tensors, numbers, strings, None, lists, tuples "
                    "and dicts (an ndarray, such as the one in NumPy's generator state, is not among them)")


def _exact_resume(resume):
    seed_everything(0)
    model, optimizer, loader = _run_objects(0)
    _train(model, optimizer, loader, 3)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    moments = copy.deepcopy(optimizer.state_dict())
    position = loader.state_dict()
    state = _weights_only_round_trip(resume.capture_run_state(model, optimizer, loader, 3))
    expected = _train(model, optimizer, loader, 4)          # the uninterrupted run, from the capture on

    seed_everything(123)                                   # everything else differs before the restore
    model2, optimizer2, loader2 = _run_objects(1)
    _train(model2, optimizer2, loader2, 1)
    assert resume.restore_run_state(state, model2, optimizer2, loader2) == 3, "restore must return the step"
    for k, v in model2.state_dict().items():
        assert torch.equal(v, weights[k]), f"weight {k} differs from the captured run's: the model was not restored"
    got_moments = optimizer2.state_dict()
    for i, s in moments["state"].items():
        for k, v in s.items():
            assert torch.equal(torch.as_tensor(got_moments["state"][i][k]), torch.as_tensor(v)), (
                f"optimizer state {k!r} of parameter {i} differs: Adam's moments were not restored "
                "(the first steps after a resume would be a fresh Adam's: a loss spike)")
    assert loader2.state_dict() == position, "the loader's position was not restored: the run would repeat batches"
    got = _train(model2, optimizer2, loader2, 4)
    for name, i in (("Python's random", 0), ("NumPy's np.random", 1), ("torch's generator", 2)):
        assert [g[2][i] for g in got] == [e[2][i] for e in expected], (
            f"after the restore {name} draws other numbers than the uninterrupted run: its state was not "
            "captured or not restored")
    assert [g[1] for g in got] == [e[1] for e in expected], "after the restore the loader yields other batches"
    assert [g[0] for g in got] == [e[0] for e in expected], (
        "after the restore the losses differ from the uninterrupted run's (bit for bit expected on CPU)")


@pytest.mark.commit("2.4", "restore_run_state")
@pytest.mark.needs("2.4 capture_run_state")
def test_restore_continues_the_captured_run_exactly(impl):
    _exact_resume(impl("phase2_training.resume"))


@pytest.mark.commit("2.4", "capture_run_state")
@pytest.mark.needs("2.4 restore_run_state")
def test_capture_holds_everything_the_next_steps_depend_on(impl):
    _exact_resume(impl("phase2_training.resume"))


@pytest.mark.commit("2.4", "capture_run_state")
def test_capture_is_plain_and_holds_step_weights_optimizer_and_loader(impl):
    resume = impl("phase2_training.resume")
    model, optimizer, loader = _run_objects(0)
    _train(model, optimizer, loader, 2)
    state = _weights_only_round_trip(resume.capture_run_state(model, optimizer, loader, 2))
    assert {"step", "model", "optimizer", "loader", "rng"} <= set(state), f"keys: {sorted(state)}"
    assert state["step"] == 2
    assert set(state["model"]) == set(model.state_dict())
    assert all(torch.equal(state["model"][k], v) for k, v in model.state_dict().items())
    assert state["loader"] == loader.state_dict()
    fresh = torch.optim.AdamW(model.parameters(), lr=1e-2)
    fresh.load_state_dict(state["optimizer"])
    assert all(torch.equal(fresh.state[p]["exp_avg"], optimizer.state[p]["exp_avg"]) for p in model.parameters())


@pytest.mark.commit("2.4", "capture_run_state")
def test_capture_draws_no_random_number(impl):
    resume = impl("phase2_training.resume")
    model, optimizer, loader = _run_objects(0)
    seed_everything(5)
    np.random.rand()                                   # a position inside NumPy's key block, not 624
    before = (random.getstate(), np.random.get_state(), torch.get_rng_state())
    resume.capture_run_state(model, optimizer, loader, 0)
    assert random.getstate() == before[0], "capturing changed Python's random state"
    after = np.random.get_state()
    assert np.array_equal(after[1], before[1][1]) and after[2:] == before[1][2:], "capturing changed NumPy's generator"
    assert torch.equal(torch.get_rng_state(), before[2]), "capturing changed torch's generator"


def _spy_fns(calls: list):
    """StateDictFns that record their calls (phase 4 passes functions that gather shards)."""
    plain = StateDictFns()

    def model_state(model):
        calls.append("model_state")
        return plain.model_state(model)

    def optimizer_state(model, optimizer):
        calls.append("optimizer_state")
        return plain.optimizer_state(model, optimizer)

    def load(model, optimizer, model_state, optimizer_state):
        calls.append("load")
        return plain.load(model, optimizer, model_state, optimizer_state)

    return StateDictFns(model_state=model_state, optimizer_state=optimizer_state, load=load)


@pytest.mark.commit("2.4", "capture_run_state")
def test_capture_goes_through_the_state_dict_functions(impl):
    resume = impl("phase2_training.resume")
    model, optimizer, loader = _run_objects(0)
    calls = []
    resume.capture_run_state(model, optimizer, loader, 0, _spy_fns(calls))
    assert {"model_state", "optimizer_state"} <= set(calls), (
        f"calls to fns: {calls}; phase 4 gathers sharded weights and optimizer state through fns, "
        "so capture must call fns.model_state and fns.optimizer_state, not state_dict()")


@pytest.mark.commit("2.4", "restore_run_state")
@pytest.mark.needs("2.4 capture_run_state")
def test_restore_goes_through_the_state_dict_functions_and_refuses_another_loader(impl):
    resume = impl("phase2_training.resume")
    model, optimizer, loader = _run_objects(0)
    _train(model, optimizer, loader, 1)
    state = _weights_only_round_trip(resume.capture_run_state(model, optimizer, loader, 1))
    calls = []
    model2, optimizer2, loader2 = _run_objects(1)
    resume.restore_run_state(state, model2, optimizer2, loader2, _spy_fns(calls))
    assert "load" in calls, (f"calls to fns: {calls}; phase 4 scatters weights and optimizer state through "
                             "fns.load, so restore must call it, not load_state_dict itself")
    other = SequentialLoader(DATA, batch_size=2, block_size=8, shuffle=True, seed=4)  # another data order
    with pytest.raises(ValueError):
        resume.restore_run_state(state, model2, optimizer2, other)
