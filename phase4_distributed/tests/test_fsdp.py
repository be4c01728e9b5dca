"""Commit 4.3: FSDP2 gives DDP's numbers with 1/W of the parameters per rank.

Oracle: one process training on the concatenated batch.
"""

import pytest
import torch

from phase4_distributed.dist import run_local
from phase4_distributed.tests._common import WORLD, assert_same_weights, rank_slice, tiny_gpt, token_batches, weights

STEPS = 3


def _sgd(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=0.1)


def _single_process():
    from phase4_distributed.ddp import accumulate_gradients
    model = tiny_gpt(lineage="llama")
    opt = _sgd(model.parameters())
    for s in range(STEPS):
        accumulate_gradients(model, token_batches(WORLD, seed=s))
        opt.step()
        opt.zero_grad(set_to_none=True)
    return weights(model)


def _fsdp_run(ctx, path):
    from phase4_distributed.checkpoint import model_state_dict, save_checkpoint
    from phase4_distributed.ddp import accumulate_gradients
    from phase4_distributed.fsdp import apply_fsdp, local_numel
    model = apply_fsdp(tiny_gpt(lineage="llama"))
    opt = _sgd(model.parameters())  # built AFTER sharding: it sees (and keeps state for) the shards only
    for s in range(STEPS):
        accumulate_gradients(model, rank_slice(token_batches(WORLD, seed=s), ctx.rank, WORLD))
        opt.step()
        opt.zero_grad(set_to_none=True)
    save_checkpoint(path, model, opt, step=STEPS)  # a collective gather, then rank 0 writes
    return model_state_dict(model), local_numel(model)


@pytest.mark.commit("4.3")
def test_two_rank_fsdp_equals_one_process_on_the_whole_batch_with_half_the_parameters_per_rank(tmp_path):
    expected = _single_process()
    total = sum(p.numel() for p in tiny_gpt(lineage="llama").parameters())
    results = run_local(_fsdp_run, WORLD, args=(tmp_path / "fsdp.pt",))
    assert_same_weights(results[0][0], expected, atol=1e-5)  # gathered full weights, on rank 0
    assert results[1][0] == {}  # the full copy is built on rank 0 only: the writer of checkpoints
    for _, numel in results:
        assert numel <= total / WORLD + 64  # dim-0 shards: half of each tensor, rounded up
    assert sum(numel for _, numel in results) == total
    # The checkpoint holds full tensors: a single process (sampling, evaluation) can read it.
    from phase4_distributed.checkpoint import load_checkpoint
    model = tiny_gpt(seed=5, lineage="llama")
    opt = _sgd(model.parameters())
    assert load_checkpoint(tmp_path / "fsdp.pt", model, opt)["step"] == STEPS
    assert_same_weights(weights(model), expected, atol=1e-5)
    assert len(opt.state_dict()["state"]) == len(list(model.parameters()))  # momentum buffers came back
