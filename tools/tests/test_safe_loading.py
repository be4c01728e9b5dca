"""No public loader of the project runs code from a checkpoint file.

A pickle can carry a `__reduce__` that calls any function at load time. Every loader
goes through phase 1's read_checkpoint, torch.load(weights_only=True), which refuses such
payloads; this test hands a crafted file to each public entry point and checks that
the payload never ran (it would create a marker file) and that the error is a clear one.
"""

from __future__ import annotations

import os
import pathlib

import pytest
import torch


class _Payload:
    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):  # what an attacker's file would do on unpickling
        return (pathlib.Path.touch, (pathlib.Path(self.marker),))


@pytest.fixture
def crafted(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "checkpoints" / "step_000001.pt"
    path.parent.mkdir()
    state = {"model_config": {}, "model": {}, "format": "mini-nanochat checkpoint", "version": 2,
             "evil": _Payload(str(marker))}
    torch.save(state, path)
    return path, marker


def _loaders():
    from phase1_model import GPT, read_checkpoint
    from phase2_training.checkpoint import load_checkpoint
    from phase2_training.sample import load_model
    from tools.visualizer.loading import load_model_and_tokenizer
    return {"read_checkpoint": read_checkpoint, "GPT.from_checkpoint": GPT.from_checkpoint,
            "load_checkpoint (file)": load_checkpoint, "load_checkpoint (folder)": lambda p: load_checkpoint(p.parent),
            "sample.load_model": load_model, "visualizer": load_model_and_tokenizer}


@pytest.mark.parametrize("name", list(_loaders()))
def test_a_crafted_pickle_payload_never_runs(crafted, name):
    path, marker = crafted
    with pytest.raises(Exception) as err:
        _loaders()[name](path)
    assert not marker.exists(), f"{name} executed the payload"
    assert "corrupt" in str(err.value) or "not a readable checkpoint" in str(err.value), str(err.value)


def test_the_payload_does_run_without_weights_only(crafted):
    """The oracle: the file really carries code (so the test above proves something)."""
    path, marker = crafted
    torch.load(path, weights_only=False)
    assert marker.exists()
    os.remove(marker)
