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
    opt = torch.optim.SGD([p], lr=0.1)
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


@pytest.mark.commit("3.3", "update_scale")
def test_scale_halves_on_overflow_and_doubles_after_growth_interval_clean_steps(impl):
    precision = impl("phase3_optim.precision")
    scaler = precision.LossScaler(init_scale=1024.0, growth_interval=2)
    scales = [s for s, _, _ in run_script(scaler, [1.0, 1.0, math.inf, 1.0, math.inf, 1.0, 1.0])]
    assert scales == [1024.0, 2048.0, 1024.0, 1024.0, 512.0, 512.0, 1024.0]


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
