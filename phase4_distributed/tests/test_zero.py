"""Commit 4.2: ZeRO-1 — AdamW with sharded state gives AdamW's numbers with 1/W of its memory.

Oracle: torch.optim.AdamW, unsharded, on the same gradients.
"""

import math

import pytest
import torch

from phase4_distributed.dist import run_local
from phase4_distributed.tests._common import (
    WORLD,
    adamw_state_bytes,
    assert_same_weights,
    rank_slice,
    tiny_gpt,
    token_batches,
    weights,
)

HYPER = dict(lr=3e-3, betas=(0.9, 0.95), eps=1e-8)


def _groups(model):
    """Two param groups like phase 3's: matrices decay, vectors (biases, norms) do not."""
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    return [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]


def _run(ctx, zero_mod, use_zero, steps):
    from phase2_training.step import train_step
    from phase4_distributed.ddp import gradient_sync, unwrap, wrap_ddp
    model = wrap_ddp(tiny_gpt(), ctx)
    opt = zero_mod.ZeroAdamW(_groups(model), **HYPER) if use_zero else torch.optim.AdamW(_groups(model), **HYPER)
    for s in range(steps):
        train_step(model, opt, rank_slice(token_batches(WORLD * 2, seed=s), ctx.rank, WORLD), grad_sync=gradient_sync)
    state_bytes = opt.state_bytes() if use_zero else adamw_state_bytes(opt)
    return weights(unwrap(model)), state_bytes


@pytest.mark.commit("4.2", "zero_update_shard")
def test_zero_adamw_in_one_process_equals_torch_adamw_over_many_steps(impl):
    zero = impl("phase4_distributed.zero")
    ours, ref = tiny_gpt(), tiny_gpt()
    opt, ref_opt = zero.ZeroAdamW(_groups(ours), **HYPER), torch.optim.AdamW(_groups(ref), **HYPER)
    for s in range(20):
        for model, o in ((ours, opt), (ref, ref_opt)):
            x, y = token_batches(1, seed=s)[0]
            model(x, y)[1].backward()
            o.step()
            o.zero_grad(set_to_none=True)
    assert_same_weights(weights(ours), weights(ref), atol=1e-5)


@pytest.mark.commit("4.2", "zero_all_gather")
def test_two_rank_zero1_gives_the_parameters_of_unsharded_adamw_with_half_the_state_memory(impl):
    zero = impl("phase4_distributed.zero")
    sharded = run_local(_run, WORLD, args=(zero, True, 3))
    unsharded = run_local(_run, WORLD, args=(zero, False, 3))
    n = sum(p.numel() for p in tiny_gpt().parameters())
    for (w, state_bytes), (w_ref, ref_bytes) in zip(sharded, unsharded):
        assert_same_weights(w, w_ref, atol=1e-5)
        assert ref_bytes == 2 * 4 * n  # AdamW: m and v, fp32, for every parameter on every rank
        assert state_bytes == 2 * 4 * math.ceil(n / WORLD)  # ZeRO-1: only this rank's shard


@pytest.mark.commit("4.2")
def test_zero_shards_cover_every_parameter_element_exactly_once():
    from phase4_distributed.zero import ZeroAdamW

    def worker(ctx):
        opt = ZeroAdamW(tiny_gpt().parameters())
        return [(b - a) for _, _, a, b, _ in opt.pieces], opt.numel

    (sizes0, n), (sizes1, _) = run_local(worker, WORLD)
    assert sum(sizes0) + sum(sizes1) == n
    assert abs(sum(sizes0) - sum(sizes1)) <= 1  # equal shards (the last one padded)


@pytest.mark.commit("4.2")
def test_zero_state_from_another_world_size_is_refused_with_the_fix():
    from phase4_distributed.zero import ZeroAdamW
    model = tiny_gpt()
    opt = ZeroAdamW(model.parameters())
    state = {**opt.state_dict(), "world_size": 4, "rank": 3}
    with pytest.raises(ValueError, match="same number of processes"):
        opt.load_state_dict(state)


@pytest.mark.commit("4.2")
def test_gathered_zero_state_resumes_on_a_different_number_of_processes():
    from phase4_distributed.zero import ZeroAdamW

    def worker(ctx):
        model = tiny_gpt()
        opt = ZeroAdamW(model.parameters(), lr=1e-2)
        x, y = token_batches(1, seed=ctx.rank)[0]
        model(x, y)[1].backward()
        opt.step()
        return opt.full_state_dict(), opt.state_bytes()

    (full, _), (full1, _) = run_local(worker, WORLD)
    torch.testing.assert_close(full["exp_avg"], full1["exp_avg"])  # every rank receives the whole state
    single = ZeroAdamW(tiny_gpt().parameters())  # world size 1 now
    single.load_full_state_dict(full)
    torch.testing.assert_close(single.exp_avg, full["exp_avg"])
    assert single.steps == 1 and single.full_state_dict()["numel"] == full["numel"]
