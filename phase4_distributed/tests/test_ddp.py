"""Commit 4.2: DDP with gradient_sync: phase 2's train_step on W ranks equals one process, and costs one
all-reduce per optimizer step however many micro-batches it accumulates.

Oracle: one process that accumulates over all the micro-batches every rank sees.
"""

import contextlib

import pytest
import torch

from phase2_training.step import train_step
from phase4_distributed.dist import run_local
from phase4_distributed.tests._common import WORLD, assert_same_weights, rank_slice, tiny_gpt, token_batches, weights

ACCUM, STEPS = 2, 3  # per rank: 2 micro-batches per step


def _sgd(model):
    # SGD is linear in the gradient, so float rounding stays at rounding level; Adam divides by
    # sqrt(v), which turns a 1e-9 difference in a near-zero gradient into a full-size step.
    # ZeroAdamW's test (test_zero.py) compares Adam with Adam on identical gradients instead.
    return torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=0.1)


def _single_process_run(steps=STEPS):
    model = tiny_gpt()
    opt = _sgd(model)
    for s in range(steps):
        train_step(model, opt, token_batches(WORLD * ACCUM, seed=s))  # reference: W*k micro-batches
    return weights(model)


def _ddp_run(ctx, ddp_mod, steps=STEPS):
    model = ddp_mod.wrap_ddp(tiny_gpt(seed=ctx.rank), ctx)  # different seeds: DDP's broadcast must fix it
    opt = _sgd(model)
    for s in range(steps):
        train_step(model, opt, rank_slice(token_batches(WORLD * ACCUM, seed=s), ctx.rank, WORLD),
                   grad_sync=ddp_mod.gradient_sync)
    return weights(ddp_mod.unwrap(model))


class _FSDPLike(torch.nn.Module):
    """The FSDP2 switch without FSDP: records every set_requires_gradient_sync call."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def set_requires_gradient_sync(self, flag):
        self.calls.append(flag)


@pytest.mark.commit("4.2", "gradient_sync")
def test_gradient_sync_switches_fsdp_off_inside_and_back_on_even_after_an_error(impl):
    ddp = impl("phase4_distributed.ddp")
    model = _FSDPLike()
    with ddp.gradient_sync(model, enabled=True):
        pass
    assert model.calls == [], "enabled: nothing to switch"
    with ddp.gradient_sync(model, enabled=False):
        assert model.calls == [False]
    assert model.calls == [False, True]
    with contextlib.suppress(RuntimeError), ddp.gradient_sync(model, enabled=False):
        raise RuntimeError("out of memory in the middle of a micro-batch")
    assert model.calls == [False, True, False, True], "the sync must come back on after an error"
    with ddp.gradient_sync(torch.nn.Linear(2, 2), enabled=False):  # a plain module: a no-op
        pass


@pytest.mark.commit("4.2", "gradient_sync")
def test_two_rank_ddp_with_gradient_sync_equals_one_process_with_twice_the_accumulation(impl):
    ddp = impl("phase4_distributed.ddp")
    expected = _single_process_run()
    for state in run_local(_ddp_run, WORLD, args=(ddp,)):
        assert_same_weights(state, expected, atol=1e-5)


@pytest.mark.commit("4.2", "gradient_sync")
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
        train_step(model, _sgd(model), token_batches(4, seed=ctx.rank), grad_sync=ddp.gradient_sync)
        return len(calls)

    assert run_local(worker, WORLD) == [1, 1], "4 micro-batches must cost one all_reduce, not four"
