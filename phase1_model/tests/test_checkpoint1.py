"""Checkpoint 1 end to end (commit 1.5): the script passes on the reference and writes a loadable model."""

import pytest
import torch

from phase1_model.gpt import GPT


@pytest.mark.commit("1.5")
@pytest.mark.slow
def test_checkpoint1_passes_on_the_reference_and_saves_a_loadable_model(tmp_path, monkeypatch, capsys):
    from checkpoints_exercises.phase1.checkpoint import main
    monkeypatch.setenv("MNC_IMPL", "reference")
    assert main(["--small", "--lineage", "llama", "--train-bytes", "200000", "--out-dir", str(tmp_path)]) == 0
    assert "PASS" in capsys.readouterr().out
    state = torch.load(tmp_path / "phase1.pt", weights_only=True)
    assert state["tokenizer"] == "phase1_tokenizer.txt" and (tmp_path / state["tokenizer"]).exists()
    model = GPT.from_checkpoint(tmp_path / "phase1.pt")
    assert model.config.lineage == "llama" and model.config.vocab_size == 4096
    assert not list(tmp_path.glob("*.tmp"))  # atomic save leaves no temp file
