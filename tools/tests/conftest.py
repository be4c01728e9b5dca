"""The machinery's tests never touch the learner's own records: `make hint` (run by test_docs and
test_hints) writes the opened hint levels to $MNC_PROGRESS_DIR, here a fresh tmp folder per test."""

import pytest


@pytest.fixture(autouse=True)
def _private_progress_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("MNC_PROGRESS_DIR", str(tmp_path_factory.mktemp("mnc-progress")))
