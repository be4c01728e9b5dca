"""Phase-3 tests run torch single-threaded: the tiny models here are dispatch-bound, and with 2 threads on
a shared 2-core machine the threads spin against other processes (measured: 1.9 ms vs 130 ms per step)."""

import pytest
import torch


@pytest.fixture(autouse=True)
def single_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
