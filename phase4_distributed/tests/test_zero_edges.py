"""Commit 4.2: ZeRO-1 at its edges — sizes that do not split evenly, and the multi-rank resume path.

The shards of ZeroAdamW are cut from the flat vector of all parameters, ceil(N / W) numbers each,
the last one padded. Two things break only at the edges:

- N not divisible by W: a floor instead of the ceil drops the tail of the vector (or a gather
  of unequal shards fails with "size (7) must match (6)");
- the trainer's multi-rank resume: a checkpoint holds the GATHERED moments; each rank must take
  ITS slice of them back (rank 1 taking rank 0's slice trains on with the wrong moments).

Oracle: torch.optim.AdamW in one process, on the same parameters and gradients (its moments
are per parameter, so we flatten them in parameter order to compare with a shard).
"""

import math

import pytest
import torch
from torch import nn

from phase4_distributed.dist import run_local

HYPER = dict(lr=1e-2, betas=(0.9, 0.95), eps=1e-8)
# fp32 AdamW, identical math in a different order of operations: a few ulps per step on values ~1.
ATOL = 1e-6


def _params(shapes, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [nn.Parameter(torch.randn(*s, generator=g)) for s in shapes]


def _groups(params):
    """Two groups like phase 3's: matrices decay, vectors do not (the split is part of what is sliced)."""
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": 0.1},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return [g for g in groups if g["params"]]


def _set_grads(params, step):
    """The same 'averaged' gradient on every rank (what DDP hands ZeRO), different at every step."""
    g = torch.Generator().manual_seed(100 + step)
    for p in params:
        p.grad = torch.randn(p.shape, generator=g)


def _torch_adamw(shapes, steps):
    params = _params(shapes)
    opt = torch.optim.AdamW(_groups(params), **HYPER)
    for s in range(steps):
        _set_grads(params, s)
        opt.step()
    return params, opt


def _flat_moment(opt, params, name):
    return torch.cat([opt.state[p][name].reshape(-1) for p in params])


# (shapes, world): N = 15 on 2 ranks (shards of 8, the matrix straddles the cut, rank 1 padded);
# N = 7 on 3 ranks (shards of 3: "size (7) must match (6)"); N = 3 on 2 ranks (rank 1 owns one number).
ODD = [([(4, 3), (3,)], 2), ([(2, 3), (1,)], 3), ([(3,)], 2)]


@pytest.mark.commit("4.2")
@pytest.mark.parametrize("shapes,world", ODD, ids=["N15-W2", "N7-W3", "N3-W2"])
def test_zero1_with_a_parameter_count_not_divisible_by_the_world_size_equals_adamw(shapes, world):
    from phase4_distributed.zero import ZeroAdamW
    steps = 4

    def worker(ctx):
        params = _params(shapes)
        opt = ZeroAdamW(_groups(params), **HYPER)
        for s in range(steps):
            _set_grads(params, s)
            opt.step()
        return [p.detach() for p in params], opt.exp_avg.clone(), opt.state_bytes()

    results = run_local(worker, world)
    ref_params, ref_opt = _torch_adamw(shapes, steps)
    order = [p for g in _groups(ref_params) for p in g["params"]]  # ZeRO's flat order: group by group
    n = sum(p.numel() for p in ref_params)
    shard = math.ceil(n / world)
    ref_m = _flat_moment(ref_opt, order, "exp_avg")
    for rank, (params, exp_avg, state_bytes) in enumerate(results):
        for p, ref in zip(params, ref_params):  # every rank holds the full, updated parameters
            torch.testing.assert_close(p, ref.detach(), rtol=0, atol=ATOL)
        lo, hi = rank * shard, min((rank + 1) * shard, n)
        torch.testing.assert_close(exp_avg[:hi - lo], ref_m[lo:hi], rtol=0, atol=ATOL)  # rank r's slice
        assert not exp_avg[hi - lo:].any(), "the padding of the last shard holds no moments"
        assert state_bytes == 2 * 4 * shard


@pytest.mark.commit("4.2")
def test_zero1_per_rank_state_round_trips_with_an_odd_parameter_count():
    from phase4_distributed.zero import ZeroAdamW
    shapes = [(4, 3), (3,)]  # N = 15 on 2 ranks

    def worker(ctx):
        params = _params(shapes)
        opt = ZeroAdamW(_groups(params), **HYPER)
        for s in range(3):
            _set_grads(params, s)
            opt.step()
        saved = opt.state_dict()
        fresh = ZeroAdamW(_groups(_params(shapes)), **HYPER)
        fresh.load_state_dict(saved)
        return saved["exp_avg"], fresh.exp_avg, saved["exp_avg_sq"], fresh.exp_avg_sq, fresh.steps

    for m, m2, v, v2, steps in run_local(worker, 2):
        assert torch.equal(m, m2) and torch.equal(v, v2) and steps == 3


@pytest.mark.commit("4.2")
@pytest.mark.parametrize("shapes", [[(4, 3), (3,)], [(4, 4), (4,)]], ids=["odd-N15", "even-N20"])
def test_gathered_zero_state_resumed_on_two_ranks_gives_each_rank_its_own_moments(shapes):
    """The trainer's multi-rank resume: save gathers (zero_to_full), load scatters (full_to_zero).

    A resumed run must continue exactly like an uninterrupted AdamW: rank 1 holding rank 0's
    moments (or zeros) would update its half of the vector with the wrong m and v.
    """
    from phase4_distributed.checkpoint import load_state, optimizer_state_dict
    from phase4_distributed.zero import ZeroAdamW
    before, after = 3, 3

    def first_run(ctx):
        params = _params(shapes)
        opt = ZeroAdamW(_groups(params), **HYPER)
        for s in range(before):
            _set_grads(params, s)
            opt.step()
        model = nn.Module()
        for i, p in enumerate(params):
            model.register_parameter(f"p{i}", p)
        return model.state_dict(), optimizer_state_dict(model, opt)  # a collective: every rank calls it

    saved_model, saved_opt = run_local(first_run, 2)[0]  # what rank 0 writes to the checkpoint

    def resumed_run(ctx):
        params = _params(shapes, seed=7)  # other weights: the load must overwrite them
        model = nn.Module()
        for i, p in enumerate(params):
            model.register_parameter(f"p{i}", p)
        opt = ZeroAdamW(_groups(params), **HYPER)
        load_state(model, opt, saved_model, saved_opt)
        loaded = (opt.steps, opt.exp_avg.clone(), opt.exp_avg_sq.clone())
        for s in range(before, before + after):
            _set_grads(params, s)
            opt.step()
        return loaded, [p.detach() for p in params]

    results = run_local(resumed_run, 2)
    ref_params, ref_opt = _torch_adamw(shapes, before)
    order = [p for g in _groups(ref_params) for p in g["params"]]
    n = sum(p.numel() for p in ref_params)
    shard = math.ceil(n / 2)
    ref_m, ref_v = _flat_moment(ref_opt, order, "exp_avg"), _flat_moment(ref_opt, order, "exp_avg_sq")
    for rank, ((steps, m, v), _) in enumerate(results):
        lo, hi = rank * shard, min((rank + 1) * shard, n)
        assert steps == before
        torch.testing.assert_close(m[:hi - lo], ref_m[lo:hi], rtol=0, atol=ATOL, msg=f"rank {rank} exp_avg")
        torch.testing.assert_close(v[:hi - lo], ref_v[lo:hi], rtol=0, atol=ATOL, msg=f"rank {rank} exp_avg_sq")
    ref_params, _ = _torch_adamw(shapes, before + after)  # the uninterrupted run
    for rank, (_, params) in enumerate(results):
        for p, ref in zip(params, ref_params):
            torch.testing.assert_close(p, ref.detach(), rtol=0, atol=ATOL, msg=f"rank {rank}")
