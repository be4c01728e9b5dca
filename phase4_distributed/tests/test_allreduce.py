"""Commit 4.1: the hand-written gradient averages, checked on gradients we choose.

test_dist.py checks that training with them equals one process; here each rank gets gradients
made from its own seed, so the oracle is a straight-line mean written in the test, and we can
also count the messages and leave some gradients out.
"""

import pytest
import torch
from torch import nn

from phase4_distributed.dist import run_local

SHAPES = [(4, 3), (5,), (2, 2, 2), (1,)]  # several tensors of different shapes: the slices must line up


def _model_with_unused_parameter() -> nn.Module:
    model = nn.Module()
    for i, shape in enumerate(SHAPES):
        model.register_parameter(f"p{i}", nn.Parameter(torch.zeros(shape)))
    model.register_parameter("unused", nn.Parameter(torch.zeros(3)))  # its .grad stays None
    return model


def _rank_grads(rank: int) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(100 + rank)
    return [torch.randn(shape, generator=g) for shape in SHAPES]


def _expected_mean(world: int) -> list[torch.Tensor]:
    per_rank = [_rank_grads(r) for r in range(world)]
    return [sum(gs[i] for gs in per_rank) / world for i in range(len(SHAPES))]


def _average_on_ranks(ar_fn, world: int):
    """Each rank: set its own grads, call ar_fn(model) counting all_reduce calls; return what it sees."""
    def worker(ctx):
        import torch.distributed as dist
        model = _model_with_unused_parameter()
        for i, g in enumerate(_rank_grads(ctx.rank)):
            getattr(model, f"p{i}").grad = g.clone()
        calls, real = [], dist.all_reduce

        def counting_all_reduce(tensor, *args, **kwargs):
            calls.append(tensor.numel())
            return real(tensor, *args, **kwargs)

        dist.all_reduce = counting_all_reduce
        try:
            ar_fn(model)
        finally:
            dist.all_reduce = real
        return [getattr(model, f"p{i}").grad for i in range(len(SHAPES))], model.unused.grad, calls

    return run_local(worker, world)


@pytest.mark.commit("4.1", "average_gradients")
@pytest.mark.parametrize("world", [2, 3])
def test_average_gradients_gives_every_rank_the_mean_of_the_ranks_gradients(impl, world):
    ar = impl("phase4_distributed.allreduce")
    expected = _expected_mean(world)
    for grads, unused, _ in _average_on_ranks(ar.average_gradients, world):
        assert unused is None, "a parameter without a gradient must keep .grad = None"
        for got, want in zip(grads, expected):
            # a sum of `world` float32 numbers in any order, then a division: a few ulps
            torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)


@pytest.mark.commit("4.1", "average_gradients_bucketed")
@pytest.mark.parametrize("world", [2, 3])
def test_bucketed_average_sends_one_message_and_gives_the_mean(impl, world):
    ar = impl("phase4_distributed.allreduce")
    expected = _expected_mean(world)
    numel = sum(torch.Size(s).numel() for s in SHAPES)
    for grads, unused, calls in _average_on_ranks(ar.average_gradients_bucketed, world):
        assert unused is None, "a parameter without a gradient must keep .grad = None"
        for got, want in zip(grads, expected):
            torch.testing.assert_close(got, want, rtol=1e-6, atol=1e-6)
        assert calls == [numel], f"all_reduce calls (elements each): {calls}; the bucket is one message of {numel}"
