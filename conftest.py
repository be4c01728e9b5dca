"""Root conftest: load the course's pytest plugin (impl fixture, --impl, --commit, honesty checks)."""

import os

import pytest

# One intra-op thread per test process (and per spawned rank): tiny tensors gain nothing from a
# second thread, and on a shared 2-core box the spinning threads made tiny steps ~50x slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")
# The optimizers' fused path (phase3_optim/fused.py) compiles with torch.compile: seconds per new process
# and graph, paid again by every trainer test. Tests take the readable path by default; the fused path has
# its own equality tests (phase3_optim/tests/test_fused.py), which ask for it explicitly.
os.environ.setdefault("MNC_FUSED", "0")


@pytest.fixture(autouse=True)
def _one_torch_thread():
    """Every test starts single-threaded, and code under test that sets a thread count (a Trainer
    with threads=2) cannot leak it into the next test. Forked ranks (phase 4) inherit one thread,
    so a rank and its single-process oracle do the same arithmetic."""
    import torch
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)

try:  # hypothesis is a dev extra; property tests import it themselves
    from hypothesis import Phase, settings

    # No per-example deadline (a shared 2-core CI box is slow and noisy), no example database,
    # and no "explain" phase (it writes .hypothesis/patches/ into the learner's checkout).
    settings.register_profile("mnc", deadline=None, database=None, print_blob=False,
                              phases=[p for p in Phase if p != Phase.explain])
    settings.load_profile("mnc")
except ImportError:
    pass

pytest_plugins = ["tools.pytest_plugin"]
