"""Root conftest: load the course's pytest plugin (impl fixture, --impl, --commit, honesty checks)."""

import os

# One intra-op thread per test process (and per spawned rank): tiny tensors gain nothing from a
# second thread, and on a shared 2-core box the spinning threads made tiny steps ~50x slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")

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
