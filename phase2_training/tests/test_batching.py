"""Commit 2.2: inputs and next-token targets."""

import pytest
import torch


@pytest.mark.commit("2.2", "pack_rows")
def test_pack_rows_targets_are_the_next_token(impl):
    batching = impl("phase2_training.batching")
    x, y = batching.pack_rows(list(range(10)), 4)
    assert x.tolist() == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert y.tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]


@pytest.mark.commit("2.2", "pack_rows")
def test_pack_rows_agrees_with_the_stream_everywhere(impl):
    batching = impl("phase2_training.batching")
    ids = torch.randint(1000, (257,), generator=torch.Generator().manual_seed(0))
    x, y = batching.pack_rows(ids, 16)
    assert x.shape == y.shape == (16, 16) and x.dtype == torch.long
    flat_x, flat_y = x.flatten(), y.flatten()
    assert torch.equal(flat_x, ids[:256]) and torch.equal(flat_y, ids[1:257])


@pytest.mark.commit("2.2")
def test_pack_rows_needs_one_full_row():
    from phase2_training.batching import pack_rows
    with pytest.raises(ValueError, match="block_size"):
        pack_rows([1, 2, 3], 4)
