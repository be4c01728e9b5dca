"""Mixed precision (commit 3.3): autocast contexts and the loss scaler against torch.amp.GradScaler."""

import math

import pytest
import torch

# A scripted run: the gradient multiplier of each iteration. inf/nan overflow; huge values overflow
# only once scaled (1e35 * 2^16 > float32 max), which is exactly what a scaler must catch.
SCRIPT = [1.0, 2.0, math.inf, 0.5, 1.0, 1.0, 1.0, math.nan, 1e35, 1.0, 1.0, 1.0, 1.0, 3.0, -math.inf, 1.0]


def run_script(scaler, script=SCRIPT):
    """Train one weight vector with SGD through `scaler`; record (scale, weights, skipped) per iteration."""
    p = torch.nn.Parameter(torch.ones(4))
    return run_script_on(scaler, p, torch.optim.SGD([p], lr=0.1), script)


def run_script_on(scaler, p, opt, script):
    trace = []
    for k in script:
        opt.zero_grad()
        loss = (p * torch.tensor([k, 1.0, -1.0, 0.5])).sum()
        scaler.scale(loss).backward()
        before = p.detach().clone()
        scaler.step(opt)
        scaler.update()
        trace.append((scaler.get_scale(), p.detach().clone(), torch.equal(before, p.detach())))
    return trace


@pytest.mark.commit("3.3", "unscale")
def test_loss_scaler_behaves_like_grad_scaler_on_a_scripted_overflow_sequence(impl):
    precision = impl("phase3_optim.precision")
    kw = dict(init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5, growth_interval=3)
    ours = run_script(precision.LossScaler(**kw))
    ref = run_script(torch.amp.GradScaler("cpu", **kw))
    for i, ((s1, p1, skip1), (s2, p2, skip2)) in enumerate(zip(ours, ref)):
        assert skip1 == skip2, f"iteration {i} (x{SCRIPT[i]}): skipped={skip1}, GradScaler skipped={skip2}"
        assert s1 == s2, f"iteration {i} (x{SCRIPT[i]}): scale {s1}, GradScaler {s2}"
        assert torch.equal(p1, p2), f"iteration {i}: weights differ"
    assert sum(skip for _, _, skip in ours) == 4


def grad_scaler_trace(scaler, script=SCRIPT):
    """(scale, growth tracker) after each iteration of the script, for LossScaler or torch.amp.GradScaler."""
    p = torch.nn.Parameter(torch.ones(4))
    opt = torch.optim.SGD([p], lr=0.1)
    out = []
    for k in script:
        opt.zero_grad()
        scaler.scale((p * torch.tensor([k, 1.0, -1.0, 0.5])).sum()).backward()
        scaler.step(opt)
        scaler.update()
        tracker = scaler.growth_tracker if hasattr(scaler, "growth_tracker") else scaler._get_growth_tracker()
        out.append((scaler.get_scale(), int(tracker)))
    return out


@pytest.mark.commit("3.3", "update_scale")
@pytest.mark.parametrize("growth_interval", [1, 2, 3])
def test_scale_and_growth_tracker_follow_grad_scaler_step_by_step(impl, growth_interval):
    """Back off and restart the count on an overflow; grow and restart the count after growth_interval clean
    iterations (interval 1: grow after every clean one). torch.amp.GradScaler is the oracle."""
    precision = impl("phase3_optim.precision")
    kw = dict(init_scale=2.0 ** 10, growth_factor=2.0, backoff_factor=0.5, growth_interval=growth_interval)
    ours = grad_scaler_trace(precision.LossScaler(**kw))
    ref = grad_scaler_trace(torch.amp.GradScaler("cpu", **kw))
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert a == b, f"iteration {i} (grad x{SCRIPT[i]}): (scale, growth_tracker) = {a}, GradScaler {b}"


@pytest.mark.commit("3.3", "update_scale")
def test_scale_halves_on_overflow_and_doubles_after_growth_interval_clean_steps(impl):
    precision = impl("phase3_optim.precision")
    scaler = precision.LossScaler(init_scale=1024.0, growth_interval=2)
    scales = [s for s, _, _ in run_script(scaler, [1.0, 1.0, math.inf, 1.0, math.inf, 1.0, 1.0, 1.0, 1.0])]
    assert scales == [1024.0, 2048.0, 1024.0, 1024.0, 512.0, 512.0, 1024.0, 1024.0, 2048.0]


@pytest.mark.commit("3.3", "unscale")
def test_unscale_divides_gradients_by_the_scale_and_reports_overflow(impl):
    precision = impl("phase3_optim.precision")
    p = torch.nn.Parameter(torch.zeros(2))
    opt = torch.optim.SGD([p], lr=1.0)
    scaler = precision.LossScaler(init_scale=8.0)
    p.grad = torch.tensor([8.0, -16.0])
    assert scaler.unscale_(opt) is False
    assert torch.equal(p.grad, torch.tensor([1.0, -2.0]))
    scaler.update()
    p.grad = torch.tensor([8.0, math.inf])
    assert scaler.unscale_(opt) is True


@pytest.mark.commit("3.3", "unscale")
@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan, None])
@pytest.mark.parametrize("where", [0, 2])
def test_unscale_grads_returns_a_tensor_flag_and_unscales_every_gradient(impl, bad, where):
    precision = impl("phase3_optim.precision")
    grads = [torch.full((3,), 4.0), torch.full((2, 2), -8.0), torch.tensor([2.0])]
    if bad is not None:
        grads[where][0] = bad
    expected = [g.clone() * 0.25 for g in grads]
    found = precision.unscale_grads(grads, 0.25)
    assert isinstance(found, torch.Tensor) and found.dim() == 0 and found.dtype == torch.float32, \
        "return a 0-d float32 tensor (no host sync), not a Python bool"
    assert found.item() == (0.0 if bad is None else 1.0)
    for g, e in zip(grads, expected):
        assert torch.equal(g, e) or (bad is not None and torch.allclose(g, e, equal_nan=True))


@pytest.mark.commit("3.3")
def test_reduce_found_inf_is_called_once_per_step_and_its_answer_is_obeyed():
    """A found-inf hook (what data parallelism installs: an all-reduce MAX) gets this rank's flag once per
    step, and the scaler skips when the *global* answer says so, even if this rank saw no overflow."""
    from phase3_optim.precision import LossScaler
    calls = []

    def other_rank_overflowed(found):  # pretend another rank saw an inf on iteration 1
        calls.append(float(found))
        return torch.ones_like(found) if len(calls) == 2 else found

    scaler = LossScaler(init_scale=4.0, growth_interval=100, reduce_found_inf=other_rank_overflowed)
    trace = run_script(scaler, [1.0, 1.0, 1.0])
    assert calls == [0.0, 0.0, 0.0], "one call per step, with the local (clean) flag"
    assert [skip for _, _, skip in trace] == [False, True, False]
    assert [s for s, _, _ in trace] == [4.0, 2.0, 2.0]


@pytest.mark.commit("3.3")
def test_a_resumed_scaler_continues_exactly():
    """state_dict after 8 iterations of the script, loaded into a fresh scaler (with other settings), then
    8 more: the same scales, skips and weights as one uninterrupted run."""
    import copy

    from phase3_optim.precision import LossScaler
    kw = dict(init_scale=2.0 ** 16, growth_interval=3)
    whole = run_script(LossScaler(**kw))
    first = LossScaler(**kw)
    p = torch.nn.Parameter(torch.ones(4))
    opt = torch.optim.SGD([p], lr=0.1)
    head = run_script_on(first, p, opt, SCRIPT[:8])
    state = copy.deepcopy(first.state_dict())  # as if through torch.save / torch.load
    resumed = LossScaler(init_scale=1.0, growth_interval=2000)
    resumed.load_state_dict(state)
    tail = run_script_on(resumed, p, opt, SCRIPT[8:])
    for i, ((s1, p1, k1), (s2, p2, k2)) in enumerate(zip(whole, head + tail)):
        assert (s1, k1) == (s2, k2) and torch.equal(p1, p2), f"iteration {i} differs after resuming"
    with pytest.raises(ValueError, match="state_dict"):
        resumed.load_state_dict({"step": 3})


@pytest.mark.commit("3.3")
def test_fp16_underflow_is_what_loss_scaling_fixes():
    """A gradient of 1e-8 flushes to zero in fp16; scaled by 2^16 it survives and unscales back."""
    g = torch.tensor(1e-8)
    assert g.half().item() == 0.0
    assert (g * 2 ** 16).half().float().item() / 2 ** 16 == pytest.approx(1e-8, rel=1e-2)


@pytest.mark.commit("3.3")
@pytest.mark.parametrize("name, dtype", [("bf16", torch.bfloat16), ("fp16", torch.float16)])
def test_autocast_context_runs_matmuls_in_16_bits_and_keeps_fp32_weights(name, dtype):
    from phase3_optim.precision import autocast_context
    lin = torch.nn.Linear(8, 8)
    with autocast_context("cpu", name):
        y = lin(torch.randn(2, 8))
    assert y.dtype == dtype and lin.weight.dtype == torch.float32
    with autocast_context("cpu", "fp32"):
        assert lin(torch.randn(2, 8)).dtype == torch.float32
    with pytest.raises(ValueError, match="fp32, bf16, fp16"):
        autocast_context("cpu", "fp8")


@pytest.mark.commit("3.3")
def test_bf16_training_step_tracks_fp32_on_a_gpt():
    from phase3_optim.precision import autocast_context
    from phase3_optim.tests.helpers import batches, tiny_gpt
    x, y = batches(1)[0]
    losses = {}
    for name in ("fp32", "bf16"):
        model = tiny_gpt()
        with autocast_context("cpu", name):
            _, loss = model(x, y)
        loss.backward()
        losses[name] = (loss.item(), model.lm_head.weight.grad.clone())
    assert losses["bf16"][0] == pytest.approx(losses["fp32"][0], rel=2e-2)
    cos = torch.nn.functional.cosine_similarity(losses["bf16"][1].flatten(), losses["fp32"][1].flatten(), dim=0)
    assert cos > 0.99
