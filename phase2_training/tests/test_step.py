"""Commit 2.3: one optimizer step with gradient accumulation, and the NaN guard."""

import contextlib

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F


class TinyLM(nn.Module):
    """Embedding -> tanh -> linear head: a language model in three lines, (logits, loss) like GPT."""

    def __init__(self, vocab=11, dim=8, poison=False):
        super().__init__()
        torch.manual_seed(0)
        self.emb, self.head, self.poison = nn.Embedding(vocab, dim), nn.Linear(dim, vocab), poison

    def forward(self, x, y=None):
        logits = self.head(torch.tanh(self.emb(x)))
        loss = None if y is None else F.cross_entropy(logits.flatten(0, 1), y.flatten())
        return logits, loss * float("inf") if self.poison else loss


def _batch(n, seed, T=6, vocab=11):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(vocab, (n, T), generator=g), torch.randint(vocab, (n, T), generator=g)


def _grads(model):
    return [p.grad.clone() for p in model.parameters()]


@pytest.mark.commit("2.3", "accumulate")
def test_accumulated_micro_batches_equal_one_big_batch(impl):
    step = impl("phase2_training.step")
    x, y = _batch(8, 0)
    big, acc = TinyLM(), TinyLM()
    opt_big = torch.optim.SGD(big.parameters(), lr=0.5)  # SGD: a gradient n times too big shows in the weights
    opt_acc = torch.optim.SGD(acc.parameters(), lr=0.5)
    r_big = step.train_step(big, opt_big, [(x, y)])
    r_acc = step.train_step(acc, opt_acc, [(x[i:i + 2], y[i:i + 2]) for i in range(0, 8, 2)])
    for a, b in zip(_grads(acc), _grads(big)):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    for a, b in zip(acc.parameters(), big.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
    assert r_acc.loss == pytest.approx(r_big.loss, rel=1e-5)  # the mean of equal-sized micro-batch means


@pytest.mark.commit("2.3", "accumulate")
def test_each_step_starts_from_zero_gradients(impl):
    step = impl("phase2_training.step")
    model, ref = TinyLM(), TinyLM()
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    a, b = _batch(4, 1), _batch(4, 2)
    step.train_step(model, opt, [a])
    step.train_step(model, opt, [b])
    # the reference: the same two updates, computed by hand with fresh gradients each time
    for x, y in (a, b):
        ref.zero_grad()
        ref(x, y)[1].backward()
        with torch.no_grad():
            for p in ref.parameters():
                p -= 0.5 * p.grad
    for p, q in zip(model.parameters(), ref.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6)


@pytest.mark.commit("2.3", "accumulate")
def test_step_returns_mean_micro_batch_loss_and_clips(impl):
    step = impl("phase2_training.step")
    model = TinyLM()
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    batches = [_batch(2, s) for s in (3, 4)]
    expected = sum(model(x, y)[1].item() for x, y in batches) / 2
    result = step.train_step(model, opt, batches, grad_clip=1e-3)
    assert result.loss == pytest.approx(expected, rel=1e-5)
    assert result.grad_norm > 1e-3
    assert torch.cat([p.grad.flatten() for p in model.parameters()]).norm().item() == pytest.approx(1e-3, rel=1e-3)


@pytest.mark.commit("2.3")
def test_nan_loss_raises_before_the_update():
    from phase2_training.step import NonFiniteLossError, train_step
    model = TinyLM(poison=True)
    before = [p.detach().clone() for p in model.parameters()]
    opt = torch.optim.AdamW(model.parameters(), lr=0.1)
    with pytest.raises(NonFiniteLossError, match="loss is"):
        train_step(model, opt, [_batch(2, 5)], grad_clip=1.0)
    assert all(torch.equal(p, q) for p, q in zip(model.parameters(), before)), "weights must stay as they were"


@pytest.mark.commit("2.3", "accumulate")
def test_grad_sync_is_enabled_only_around_the_last_micro_batch(impl):
    step = impl("phase2_training.step")
    model, seen = TinyLM(), []

    @contextlib.contextmanager
    def grad_sync(m, enabled):
        assert m is model
        seen.append(enabled)
        yield

    step.train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), [_batch(1, s) for s in range(4)],
                    grad_sync=grad_sync)
    assert seen == [False, False, False, True]


@pytest.mark.commit("2.3")
def test_empty_step_is_an_error():
    from phase2_training.step import train_step
    model = TinyLM()
    with pytest.raises(ValueError, match="at least one"):
        train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), [])


def _mean_loss_grads(batches):
    """The oracle: gradients of the mean loss over all micro-batches, one straight-line backward."""
    model = TinyLM()
    torch.stack([model(x, y)[1] for x, y in batches]).mean().backward()
    return _grads(model)


class _DepthContext:
    """A context factory that counts how deep we are inside it (what `autocast` looks like to train_step)."""

    def __init__(self):
        self.depth, self.entered = 0, 0

    def __call__(self):
        return self

    def __enter__(self):
        self.depth += 1
        self.entered += 1
        return self

    def __exit__(self, *exc):
        self.depth -= 1
        return False


@pytest.mark.commit("2.3", "accumulate")
def test_every_forward_runs_inside_the_autocast_context(impl):
    step = impl("phase2_training.step")
    autocast, seen = _DepthContext(), []

    class Recording(TinyLM):
        def forward(self, x, y=None):
            seen.append(autocast.depth > 0)  # under a real torch.autocast this is where bf16 matmuls happen
            return super().forward(x, y)

    model = Recording()
    step.train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), [_batch(2, s) for s in range(3)],
                    autocast=autocast)
    assert seen == [True, True, True], f"forward inside autocast(): {seen}"
    assert autocast.depth == 0, "autocast() must be exited again"


@pytest.mark.commit("2.3", "accumulate")
def test_real_bf16_autocast_reaches_the_forward(impl):
    step = impl("phase2_training.step")
    dtypes = []

    class Recording(TinyLM):
        def forward(self, x, y=None):
            logits, loss = super().forward(x, y)
            dtypes.append(logits.dtype)
            return logits, loss

    model = Recording()
    step.train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), [_batch(2, s) for s in range(2)],
                    autocast=lambda: torch.autocast("cpu", dtype=torch.bfloat16))
    assert dtypes == [torch.bfloat16, torch.bfloat16], "the head's matmul ran outside autocast"
    assert all(p.grad.dtype == torch.float32 for p in model.parameters()), "weights and grads stay fp32"


class _FakeScaler:
    """The loss-scaler interface train_step uses (scale / unscale_ / step / update), with a known scale.

    step() records the gradients it receives: with a scaler they are the SCALED gradients (unless
    unscale_ ran first), which is the whole point of fp16 loss scaling: small gradients survive fp16.
    """

    def __init__(self, scale=1024.0):
        self.scale_factor, self.scaled, self.unscaled, self.updates, self.grads_at_step = scale, 0, False, 0, None

    def scale(self, loss):
        self.scaled += 1
        return loss * self.scale_factor

    def unscale_(self, optimizer):
        self.unscaled = True
        for group in optimizer.param_groups:
            for p in group["params"]:
                p.grad.div_(self.scale_factor)

    def step(self, optimizer):
        self.grads_at_step = [p.grad.clone() for g in optimizer.param_groups for p in g["params"]]
        if not self.unscaled:
            self.unscale_(optimizer)
        optimizer.step()

    def update(self):
        self.updates += 1


@pytest.mark.commit("2.3", "accumulate")
def test_backward_goes_through_the_loss_scaler(impl):
    step = impl("phase2_training.step")
    batches = [_batch(2, s) for s in range(4)]
    expected = _mean_loss_grads(batches)
    model, scaler = TinyLM(), _FakeScaler(1024.0)
    step.train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), batches, scaler=scaler)
    assert scaler.scaled >= 1, "scaler.scale(...) was never called: fp16 gradients would underflow"
    # the gradients the scaler's step saw are the true ones times the scale (1024 is a power of two: exact)
    for got, want in zip(scaler.grads_at_step, expected):
        torch.testing.assert_close(got, 1024.0 * want, rtol=1e-5, atol=1e-5)
    assert scaler.updates == 1


@pytest.mark.commit("2.3", "accumulate")
def test_scaled_accumulation_with_clipping_clips_the_true_gradients(impl):
    step = impl("phase2_training.step")
    batches = [_batch(2, s) for s in range(3)]
    expected = _mean_loss_grads(batches)
    true_norm = torch.cat([g.flatten() for g in expected]).norm().item()
    model, scaler = TinyLM(), _FakeScaler(256.0)
    result = step.train_step(model, torch.optim.SGD(model.parameters(), lr=0.0), batches, grad_clip=1e3,
                             scaler=scaler)
    assert result.grad_norm == pytest.approx(true_norm, rel=1e-4), "the norm of the unscaled mean-loss gradient"
    for p, want in zip(model.parameters(), expected):
        torch.testing.assert_close(p.grad, want, rtol=1e-5, atol=1e-6)


@pytest.mark.commit("2.3", "accumulate")
def test_forward_and_backward_of_each_micro_batch_run_inside_its_grad_sync(impl):
    step = impl("phase2_training.step")
    state = {"inside": None}  # None outside grad_sync, else its `enabled` flag
    forwards, backwards = [], []

    @contextlib.contextmanager
    def grad_sync(m, enabled):
        assert state["inside"] is None, "grad_sync entered twice at once"
        state["inside"] = enabled
        try:
            yield
        finally:
            state["inside"] = None

    class Recording(TinyLM):
        def forward(self, x, y=None):
            forwards.append(state["inside"])
            return super().forward(x, y)

    model = Recording()
    # DDP reads no_sync at forward time, FSDP2 at backward time: both must happen inside the context
    model.head.weight.register_hook(lambda g: backwards.append(state["inside"]))
    step.train_step(model, torch.optim.SGD(model.parameters(), lr=0.1), [_batch(1, s) for s in range(3)],
                    grad_sync=grad_sync)
    assert forwards == [False, False, True], f"grad_sync flag seen by each forward: {forwards}"
    assert backwards == [False, False, True], f"grad_sync flag seen by each backward: {backwards}"
