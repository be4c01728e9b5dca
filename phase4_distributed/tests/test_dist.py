"""Commit 4.1: process groups, rank-0 ownership and hand-written gradient averaging.

Every multi-rank test forks 2 gloo ranks on the CPU with `run_local` (bounded in time;
children are killed on failure) and compares against a single process doing the same
work: the oracle for data parallelism is "same numbers as one big batch".
"""

import contextlib
import io
import os

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from phase4_distributed.dist import run_local

WORLD = 2


def _tiny_mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 3))


def _data():
    g = torch.Generator().manual_seed(1)
    return torch.randn(8, 6, generator=g), torch.randn(8, 3, generator=g)


def _train(model, x, y, steps, after_backward=None):
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)  # SGD: a wrong gradient scale shows at once
    for _ in range(steps):
        opt.zero_grad(set_to_none=True)
        F.mse_loss(model(x), y).backward()
        if after_backward is not None:
            after_backward(model)
        opt.step()
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _train_data_parallel(ctx, average, steps):
    x, y = _data()
    shard = slice(ctx.rank * len(x) // ctx.world_size, (ctx.rank + 1) * len(x) // ctx.world_size)
    return _train(_tiny_mlp(), x[shard], y[shard], steps, after_backward=average)


@pytest.mark.commit("4.1")
def test_single_process_needs_no_process_group_and_teardown_is_idempotent(impl, monkeypatch):
    d = impl("phase4_distributed.dist")
    for name in ("RANK", "LOCAL_RANK", "WORLD_SIZE"):
        monkeypatch.delenv(name, raising=False)
    ctx = d.init_distributed(device="cpu")
    assert (ctx.rank, ctx.world_size, ctx.is_distributed, ctx.is_rank0) == (0, 1, False, True)
    assert not torch.distributed.is_initialized()
    d.teardown()
    d.teardown()


@pytest.mark.commit("4.1")
def test_init_distributed_reads_torchrun_env_picks_gloo_on_cpu_and_is_idempotent(impl):
    d = impl("phase4_distributed.dist")

    def worker(ctx):
        again = d.init_distributed()  # a second call returns the same context, no second group
        same = (again.rank, again.world_size, again.backend) == (ctx.rank, ctx.world_size, ctx.backend)
        info = (ctx.rank, ctx.world_size, ctx.backend, ctx.device.type, same, d.get_rank(), d.is_rank0())
        d.teardown()
        d.teardown()  # idempotent
        return info + (torch.distributed.is_initialized(),)

    results = run_local(worker, WORLD)
    assert results == [(r, WORLD, "gloo", "cpu", True, r, r == 0, False) for r in range(WORLD)]


@pytest.mark.commit("4.1")
def test_print0_speaks_on_rank0_only(impl):
    d = impl("phase4_distributed.dist")

    def worker(ctx):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            d.print0("hello from", ctx.rank)
        return out.getvalue()

    assert run_local(worker, WORLD) == ["hello from 0\n", ""]


@pytest.mark.commit("4.1")
def test_all_reduce_mean_averages_a_scalar_over_ranks(impl):
    d = impl("phase4_distributed.dist")
    results = run_local(lambda ctx: d.all_reduce_mean(torch.tensor(float(ctx.rank + 1))), WORLD)
    assert results == [1.5, 1.5]
    assert d.all_reduce_mean(3.0) == 3.0  # no process group in the test process: the value itself


@pytest.mark.commit("4.1", "average_gradients")
def test_hand_averaged_gradients_equal_single_process_training_on_the_concatenated_batch(impl):
    ar = impl("phase4_distributed.allreduce")
    x, y = _data()
    expected = _train(_tiny_mlp(), x, y, steps=5)
    for state in run_local(_train_data_parallel, WORLD, args=(ar.average_gradients, 5)):
        for k in expected:
            torch.testing.assert_close(state[k], expected[k], rtol=0, atol=1e-6)


@pytest.mark.commit("4.1", "average_gradients_bucketed")
def test_bucketed_all_reduce_gives_the_same_training_as_one_process(impl):
    ar = impl("phase4_distributed.allreduce")
    x, y = _data()
    expected = _train(_tiny_mlp(), x, y, steps=5)
    for state in run_local(_train_data_parallel, WORLD, args=(ar.average_gradients_bucketed, 5)):
        for k in expected:
            torch.testing.assert_close(state[k], expected[k], rtol=0, atol=1e-6)


@pytest.mark.commit("4.1")
def test_broadcast_parameters_brings_diverged_ranks_back_in_sync():
    from phase4_distributed.allreduce import broadcast_parameters, parameters_in_sync

    def worker(ctx):
        torch.manual_seed(ctx.rank)  # a different init on each rank: the bug broadcast prevents
        model = nn.Linear(4, 4)
        before = parameters_in_sync(model)
        broadcast_parameters(model)
        return before, parameters_in_sync(model)

    assert run_local(worker, WORLD) == [(False, True), (False, True)]


@pytest.mark.commit("4.1")
def test_a_failing_rank_raises_in_the_parent_with_its_traceback():
    def worker(ctx):
        if ctx.rank == 1:
            raise ValueError("rank one is broken")
        torch.distributed.barrier()  # would hang forever: run_local must kill it

    with pytest.raises(RuntimeError, match="rank one is broken"):
        run_local(worker, WORLD, timeout_s=30)


@pytest.mark.commit("4.1")
def test_a_process_group_that_fails_to_start_is_retried_but_a_failing_worker_is_not(monkeypatch, tmp_path):
    """Gloo's TCP mesh can fail to connect on a busy machine (seen in CI): fn never ran, so run_local
    starts the ranks again; an error raised by fn itself is never retried (it would hide a bug)."""
    from phase4_distributed import dist
    real_init, attempts = dist.init_distributed, tmp_path / "attempts"

    def flaky_init(**kwargs):  # the first launch fails on rank 0, like connectFullMesh did
        if int(os.environ["RANK"]) == 0 and not attempts.exists():
            attempts.write_text("1")
            raise RuntimeError("Gloo connectFullMesh failed (planted)")
        return real_init(**kwargs)

    monkeypatch.setattr(dist, "init_distributed", flaky_init)
    assert run_local(lambda ctx: ctx.rank, WORLD) == [0, 1]
    calls = tmp_path / "calls"

    def broken(ctx):
        with open(calls, "a") as f:
            f.write(".")
        raise ValueError("a bug in the worker")

    with pytest.raises(RuntimeError, match="a bug in the worker"):
        run_local(broken, WORLD, timeout_s=30)
    assert len(calls.read_text()) <= WORLD  # one launch only


@pytest.mark.commit("4.1")
@pytest.mark.parametrize("shuffle", [False, True])
def test_the_phase0_loader_sharded_by_rank_reads_no_window_twice_per_epoch(shuffle):
    """What the trainer's loaders do under torchrun (phase2_training.train.build_loaders)."""
    import numpy as np

    from phase0_tokenizer.data import SequentialLoader
    block, batch = 4, 3
    data = np.arange(4 * 25 + 1, dtype=np.int64)  # 25 windows; window w starts at token w * block

    def worker(ctx):
        loader = SequentialLoader(data, batch, block, rank=ctx.rank, world_size=ctx.world_size, device="cpu",
                                  shuffle=shuffle, seed=3)
        seen = [int(t) // block for _ in range(loader.steps_per_epoch) for t in next(loader)[0][:, 0]]
        return seen, loader.steps_per_epoch

    (seen0, steps0), (seen1, steps1) = run_local(worker, WORLD)
    assert steps0 == steps1 == 25 // (batch * WORLD)  # every rank takes the same number of steps
    assert len(seen0) == len(set(seen0)) and not set(seen0) & set(seen1), "a window was read twice this epoch"
    assert len(seen0) + len(seen1) == steps0 * batch * WORLD
