"""Commit 4.3: FSDP2 gives DDP's numbers with 1/W of the parameters per rank, reduces gradients once
per optimizer step under accumulation, and its gathered checkpoint loads into one process.

Oracle: one process training on the concatenated batch.
"""

import pytest
import torch

from phase2_training.step import train_step
from phase4_distributed.dist import run_local
from phase4_distributed.tests._common import (
    WORLD,
    assert_same_weights,
    local_numel,
    rank_slice,
    tiny_gpt,
    token_batches,
    weights,
)

STEPS = 3


def _sgd(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=0.1)


def _single_process():
    model = tiny_gpt(lineage="llama")
    opt = _sgd(model.parameters())
    for s in range(STEPS):
        train_step(model, opt, token_batches(WORLD, seed=s))
    return weights(model)


def _fsdp_run(ctx):
    from phase4_distributed.checkpoint import model_state_dict, optimizer_state_dict
    from phase4_distributed.ddp import gradient_sync
    from phase4_distributed.fsdp import apply_fsdp
    model = apply_fsdp(tiny_gpt(lineage="llama"))
    opt = _sgd(model.parameters())  # built AFTER sharding: it sees (and keeps state for) the shards only
    for s in range(STEPS):
        train_step(model, opt, rank_slice(token_batches(WORLD, seed=s), ctx.rank, WORLD), grad_sync=gradient_sync)
    # the checkpoint functions phase 4 hands the trainer: collectives on every rank, full dicts on rank 0
    return model_state_dict(model), optimizer_state_dict(model, opt), local_numel(model)


@pytest.mark.commit("4.3")
def test_two_rank_fsdp_equals_one_process_on_the_whole_batch_with_half_the_parameters_per_rank():
    expected = _single_process()
    total = sum(p.numel() for p in tiny_gpt(lineage="llama").parameters())
    results = run_local(_fsdp_run, WORLD)
    assert_same_weights(results[0][0], expected, atol=1e-5)  # gathered full weights, on rank 0
    assert results[1][0] == {}  # the full copy is built on rank 0 only: the writer of checkpoints
    for _, _, numel in results:
        assert numel <= total / WORLD + 64  # dim-0 shards: half of each tensor, rounded up
    assert sum(numel for _, _, numel in results) == total
    # The gathered state loads into a single process (sampling, evaluation, resuming on one GPU).
    from phase4_distributed.checkpoint import load_state
    model = tiny_gpt(seed=5, lineage="llama")
    opt = _sgd(model.parameters())
    load_state(model, opt, results[0][0], results[0][1])
    assert_same_weights(weights(model), expected, atol=1e-5)
    assert len(opt.state_dict()["state"]) == len(list(model.parameters()))  # momentum buffers came back


def _count_reduce_scatters(ctx, use_sync):
    import torch.distributed as dist

    from phase4_distributed.ddp import gradient_sync
    from phase4_distributed.fsdp import apply_fsdp
    calls = []
    name = "reduce_scatter_single" if hasattr(dist, "reduce_scatter_single") else "reduce_scatter_tensor"  # torch 2.13
    real = getattr(dist, name)

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    setattr(dist, name, counting)  # in this child process only
    try:
        model = apply_fsdp(tiny_gpt(lineage="llama"))
        kw = {"grad_sync": gradient_sync} if use_sync else {}
        train_step(model, _sgd(model.parameters()), token_batches(4, seed=ctx.rank), **kw)
    finally:
        setattr(dist, name, real)
    return len(calls)


@pytest.mark.commit("4.3")
def test_fsdp_with_accumulation_reduces_gradients_once_per_optimizer_step():
    units = 2 + 1  # one FSDP unit per block (n_layer=2) and the root: one reduce-scatter each per sync
    assert run_local(_count_reduce_scatters, WORLD, args=(True,)) == [units, units]
    # without the switch every micro-batch pays the reduce-scatters (what the trainer did before)
    assert run_local(_count_reduce_scatters, WORLD, args=(False,)) == [4 * units, 4 * units]


def _compiled_fsdp_graphs(ctx):
    import torch._dynamo
    from torch._dynamo.utils import counters

    from phase4_distributed.fsdp import apply_fsdp
    from phase4_distributed.strategy import compile_parts
    graphs: list[list[str]] = []

    def record(gm, example_inputs):  # a dynamo backend that keeps each graph's ops and runs it as captured
        graphs.append([str(n.target) for n in gm.graph.nodes if n.op in ("call_function", "call_method")])
        return gm.forward

    torch._dynamo.reset()
    counters.clear()
    # what wrap_model does for --strategy=fsdp --compile; nanochat has every part (soft-cap, QK-norm, relu^2)
    model = apply_fsdp(compile_parts(tiny_gpt(lineage="nanochat"), backend=record))
    for x, y in token_batches(2, seed=ctx.rank):  # two steps: the second must not recompile or break
        model(x, y)[1].backward()
    return {k: dict(v) for k, v in counters.items()}, graphs


@pytest.mark.commit("4.3")
def test_fsdp_with_compile_runs_the_whole_forward_compiled_without_graph_breaks():
    for c, graphs in run_local(_compiled_fsdp_graphs, WORLD, timeout_s=240):
        assert not c.get("graph_break"), f"graph breaks under FSDP: {c.get('graph_break')}"
        # every frame dynamo was handed (stem, the 2 blocks, head) was captured, none skipped to eager
        assert c["frames"]["ok"] == c["frames"]["total"] >= 4, c
        ops = " ".join(op for g in graphs for op in g)
        # the whole forward ran inside compiled graphs: embedding lookup, attention, soft-cap, loss
        for op in ("embedding", "scaled_dot_product_attention", "tanh", "cross_entropy"):
            assert op in ops, f"{op} ran outside every compiled graph under FSDP + compile: {graphs}"
        assert not c.get("recompiles"), f"the second step recompiled: {c.get('recompiles')}"
