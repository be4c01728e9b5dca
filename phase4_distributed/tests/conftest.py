"""Phase-4 tests run with one intra-op thread in the test process, as each forked rank does:
the oracle and the ranks then do the same arithmetic, and a busy 2-core machine is not
oversubscribed (two OpenMP threads spinning on a loaded core are 50x slower, not 2x faster)."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
