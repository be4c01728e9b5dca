"""Commit 4.2: DDP with no_sync gradient accumulation, and checkpoints that resume under DDP.

Oracle: one process that accumulates over all the micro-batches every rank sees.
"""

import pytest
import torch

from phase4_distributed.dist import run_local
from phase4_distributed.tests._common import WORLD, assert_same_weights, rank_slice, tiny_gpt, token_batches, weights

ACCUM, STEPS = 2, 3  # per rank: 2 micro-batches per step


def _sgd(model):
    # SGD is linear in the gradient, so float rounding stays at rounding level; Adam divides by
    # sqrt(v), which turns a 1e-9 difference in a near-zero gradient into a full-size step.
    # ZeroAdamW's test (test_zero.py) compares Adam with Adam on identical gradients instead.
    return torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=0.1)


def _single_process_run(steps=STEPS):
    from phase4_distributed.ddp import accumulate_gradients
    model = tiny_gpt()
    opt = _sgd(model)
    for s in range(steps):
        accumulate_gradients(model, token_batches(WORLD * ACCUM, seed=s))  # reference: W*k micro-batches
        opt.step()
        opt.zero_grad(set_to_none=True)
    return weights(model)


def _ddp_run(ctx, ddp_mod, steps=STEPS):
    model = ddp_mod.wrap_ddp(tiny_gpt(seed=ctx.rank), ctx)  # different seeds: DDP's broadcast must fix it
    opt = _sgd(model)
    for s in range(steps):
        ddp_mod.accumulate_gradients(model, rank_slice(token_batches(WORLD * ACCUM, seed=s), ctx.rank, WORLD))
        opt.step()
        opt.zero_grad(set_to_none=True)
    return weights(ddp_mod.unwrap(model))


@pytest.mark.commit("4.2", "accumulate_gradients")
def test_accumulated_gradient_equals_the_gradient_of_the_whole_batch(impl):
    ddp = impl("phase4_distributed.ddp")
    batches = token_batches(4)
    model = tiny_gpt()
    loss = ddp.accumulate_gradients(model, batches)
    grads = {n: p.grad.clone() for n, p in model.named_parameters()}
    model.zero_grad()
    x, y = torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])
    _, full_loss = model(x, y)
    full_loss.backward()
    torch.testing.assert_close(loss, full_loss.detach(), rtol=0, atol=1e-5)
    for n, p in model.named_parameters():
        torch.testing.assert_close(grads[n], p.grad, rtol=0, atol=1e-6)


@pytest.mark.commit("4.2", "accumulate_gradients")
def test_two_rank_ddp_with_no_sync_equals_one_process_with_twice_the_accumulation(impl):
    ddp = impl("phase4_distributed.ddp")
    expected = _single_process_run()
    for state in run_local(_ddp_run, WORLD, args=(ddp,)):
        assert_same_weights(state, expected, atol=1e-5)


@pytest.mark.commit("4.2", "accumulate_gradients")
def test_no_sync_all_reduces_once_per_optimizer_step_not_once_per_micro_batch(impl):
    ddp = impl("phase4_distributed.ddp")

    def worker(ctx):
        from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook
        model = ddp.wrap_ddp(tiny_gpt(), ctx, bucket_cap_mb=1000)  # one bucket: one all_reduce per sync
        calls = []

        def counting_hook(state, bucket):
            calls.append(bucket.index())
            return allreduce_hook(state, bucket)

        model.register_comm_hook(None, counting_hook)
        ddp.accumulate_gradients(model, token_batches(4, seed=ctx.rank))
        return len(calls)

    assert run_local(worker, WORLD) == [1, 1], "4 micro-batches must cost one all_reduce, not four"


@pytest.mark.commit("4.2")
def test_train_step_clips_and_steps_and_leaves_no_gradient_behind():
    from phase4_distributed.ddp import train_step
    model = tiny_gpt()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    before = [p.detach().clone() for p in model.parameters()]  # parameters(): the tied matrix once
    loss = train_step(model, opt, token_batches(2), grad_clip=1e-3)
    assert torch.isfinite(loss) and all(p.grad is None for p in model.parameters())
    moved = sum((p.detach() - b).pow(2).sum() for p, b in zip(model.parameters(), before)).sqrt()
    assert 0 < moved <= 1.001 * 0.1 * 1e-3  # one SGD step of a gradient clipped to norm 1e-3


def _train_and_checkpoint(ctx, path, use_zero, resume):
    from phase4_distributed.checkpoint import load_checkpoint, save_checkpoint
    from phase4_distributed.ddp import accumulate_gradients, unwrap, wrap_ddp
    from phase4_distributed.zero import ZeroAdamW
    model = wrap_ddp(tiny_gpt(), ctx)
    opt = ZeroAdamW(model.parameters(), lr=1e-2) if use_zero else _sgd(model)
    start = 0
    if resume:
        start = load_checkpoint(path, model, opt)["step"]
    for s in range(start, 4):
        accumulate_gradients(model, rank_slice(token_batches(WORLD, seed=s), ctx.rank, WORLD))
        opt.step()
        opt.zero_grad(set_to_none=True)
        if s == 1 and not resume:
            save_checkpoint(path, model, opt, step=s + 1)
    return weights(unwrap(model))


@pytest.mark.commit("4.2")
@pytest.mark.parametrize("use_zero", [False, True], ids=["ddp", "zero1"])
def test_checkpoint_saved_under_ddp_resumes_to_the_same_weights(tmp_path, use_zero):
    path = tmp_path / "ckpt.pt"
    straight = run_local(_train_and_checkpoint, WORLD, args=(path, use_zero, False))
    resumed = run_local(_train_and_checkpoint, WORLD, args=(path, use_zero, True))
    for a, b in zip(straight, resumed):
        assert_same_weights(b, a, atol=0)  # bit-exact: same ops, same order
    files = sorted(p.name for p in tmp_path.iterdir())
    shards = ["ckpt.optim-rank0-of-2.pt", "ckpt.optim-rank1-of-2.pt"] if use_zero else []
    assert files == sorted(["ckpt.pt", *shards]), "rank 0 writes the model file; ZeRO ranks add one shard each"
    assert torch.load(path, weights_only=False)["step"] == 2


@pytest.mark.commit("4.2")
def test_resuming_zero_shards_with_another_world_size_names_the_fix(tmp_path):
    from phase4_distributed.checkpoint import load_checkpoint
    path = tmp_path / "ckpt.pt"
    run_local(_train_and_checkpoint, WORLD, args=(path, True, False))
    from phase4_distributed.zero import ZeroAdamW
    model = tiny_gpt()
    with pytest.raises(FileNotFoundError, match="--nproc_per_node=2"):
        load_checkpoint(path, model, ZeroAdamW(model.parameters()))
