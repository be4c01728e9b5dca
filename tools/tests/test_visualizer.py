"""The attention visualiser: a tiny checkpoint in, a PNG and a terminal heatmap out, clear errors otherwise."""

import subprocess
import sys

import pytest
import torch

from phase0_tokenizer.tokenizer import Tokenizer
from phase1_model import GPT, GPTConfig
from tools.exercises import REPO_ROOT
from tools.visualizer.loading import VisualizerError, load_model_and_tokenizer
from tools.visualizer.show_attention import attention_weights, main, render_terminal, token_labels

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    """A 2-layer, 2-head model and a 280-id tokenizer, saved the way the phase-1 checkpoint script saves them."""
    d = tmp_path_factory.mktemp("ckpt")
    tok = Tokenizer.train("The cat sat on the mat. The dog sat on the log.\n" * 20, 280)
    tok.save(d / "tok.txt")
    torch.manual_seed(0)
    cfg = GPTConfig.from_lineage("llama", vocab_size=tok.vocab_size, block_size=16, n_layer=2, n_head=2, n_embd=16)
    torch.save(GPT(cfg).checkpoint_state(tokenizer=str(d / "tok.txt")), d / "tiny.pt")
    return d / "tiny.pt"


def test_weights_are_causal_probability_rows(checkpoint):
    model, tok = load_model_and_tokenizer(checkpoint)
    ids = tok.encode("The cat sat on the")
    att = attention_weights(model, ids, layer=1)
    T = len(ids)
    assert att.shape == (2, T, T)
    torch.testing.assert_close(att.sum(-1), torch.ones(2, T))
    assert torch.all(att.triu(diagonal=1) == 0)  # no token attends to a later one


def test_token_labels_make_whitespace_visible(checkpoint):
    _, tok = load_model_and_tokenizer(checkpoint)
    ids = tok.encode("The cat\n")
    assert token_labels(tok, ids)[0] == "The" and "·" in "".join(token_labels(tok, ids))
    assert token_labels(tok, ids)[-1].endswith("↵")


def test_terminal_view_shades_weights_and_names_the_top_key():
    att = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.75, 0.0, 0.25]])
    rows = render_terminal(att, ["a", "b", "c"]).splitlines()[2:]
    assert rows[0].split()[2] == "██" and rows[1].split()[2] == "██"  # one-hot rows: a full block
    assert "▓▓" in rows[2] and rows[2].endswith("→ 0:a 0.75")


def test_cli_writes_a_png_with_token_labels_and_prints_the_heatmap(checkpoint, tmp_path, capsys):
    out = tmp_path / "one.png"
    assert main(["--checkpoint", str(checkpoint), "--prompt", "The cat sat", "--layer", "1", "--head", "1",
                 "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == PNG_MAGIC
    text = capsys.readouterr().out
    assert "layer 1, head 1" in text and "·cat" in text and f"wrote {out}" in text


def test_all_heads_draws_a_grid_and_every_head_in_the_terminal(checkpoint, tmp_path, capsys):
    out = tmp_path / "grid.png"
    assert main(["--checkpoint", str(checkpoint), "--layer", "0", "--all-heads", "--out", str(out)]) == 0
    assert out.read_bytes()[:8] == PNG_MAGIC
    text = capsys.readouterr().out
    assert "layer 0, head 0" in text and "layer 0, head 1" in text


@pytest.mark.parametrize("args, message", [
    (["--layer", "2"], "--layer 2 is out of range: this model has 2 layers, use 0..1"),
    (["--layer", "-1"], "--layer -1 is out of range"),
    (["--head", "2"], "--head 2 is out of range: this model has 2 heads per layer, use 0..1"),
    (["--prompt", ""], "give a non-empty --prompt"),
    (["--prompt", "The cat sat on the mat. " * 4], "block_size is 16: shorten the --prompt"),
])
def test_bad_layer_head_or_prompt_is_a_clear_error(checkpoint, tmp_path, capsys, args, message):
    assert main(["--checkpoint", str(checkpoint), "--out", str(tmp_path / "x.png"), *args]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_missing_checkpoint_or_tokenizer_is_a_clear_error(checkpoint, tmp_path, capsys):
    assert main(["--checkpoint", str(tmp_path / "nope.pt")]) == 2
    err = capsys.readouterr().err
    assert "nope.pt not found" in err and "--checkpoint PATH" in err
    with pytest.raises(VisualizerError, match="pass --tokenizer PATH"):
        load_model_and_tokenizer(checkpoint, tmp_path / "missing-tokenizer.txt")


@pytest.mark.slow  # a fresh interpreter importing torch and matplotlib: seconds
def test_runs_as_a_script(checkpoint, tmp_path):
    out = tmp_path / "script.png"
    done = subprocess.run([sys.executable, str(REPO_ROOT / "tools/visualizer/show_attention.py"), "--checkpoint",
                           str(checkpoint), "--layer", "1", "--head", "0", "--out", str(out)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert out.read_bytes()[:8] == PNG_MAGIC and "layer 1, head 0" in done.stdout
