"""Load a phase-1 checkpoint and the tokenizer it was trained with, with errors that say what to do.

A phase-1 checkpoint (written by checkpoints_exercises/phase1/checkpoint.py) is a
dict holding the model's config, its state_dict, and a reference to the
tokenizer file. `GPT.from_checkpoint` rebuilds the model; the tokenizer path is
resolved as written, then next to the checkpoint, then from the repository root,
so a checkpoint keeps working when the repository is moved.
"""

from __future__ import annotations

from pathlib import Path

import torch

REPO_ROOT = Path(__file__).resolve().parents[2]
TOKENIZER_KEYS = ("tokenizer_path", "tokenizer", "tokenizer_file")


class VisualizerError(Exception):
    """A problem the user can fix (missing file, out-of-range layer...): printed without a traceback."""


def _tokenizer_ref(ckpt: dict) -> str | None:
    for key in TOKENIZER_KEYS:
        ref = ckpt.get(key)
        if isinstance(ref, dict):
            ref = ref.get("path")
        if isinstance(ref, (str, Path)):
            return str(ref)
    return None


def _resolve(ref: str, checkpoint: Path) -> Path | None:
    p = Path(ref)
    for candidate in (p, checkpoint.parent / p.name, checkpoint.parent / p, REPO_ROOT / p):
        if candidate.is_file():
            return candidate
    return None


def load_model_and_tokenizer(checkpoint: str | Path, tokenizer_path: str | Path | None = None):
    """(model in eval mode on CPU, Tokenizer) from a phase-1 checkpoint; VisualizerError when something is missing."""
    from phase0_tokenizer.tokenizer import Tokenizer
    from phase1_model import GPT

    path = Path(checkpoint)
    if not path.is_file():
        raise VisualizerError(f"checkpoint {path} not found: train one with `python -m checkpoints_exercises.phase1"
                              ".checkpoint` (it writes checkpoints/phase1.pt), or pass --checkpoint PATH")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # truncated file, not a torch file, pickled code...
        raise VisualizerError(f"{path} is not a readable checkpoint ({type(e).__name__}: {e})") from None
    if not isinstance(ckpt, dict):
        raise VisualizerError(f"{path} holds a {type(ckpt).__name__}, not a checkpoint dict")
    try:
        model = GPT.from_checkpoint(ckpt)
    except (KeyError, ValueError, RuntimeError) as e:
        raise VisualizerError(f"{path}: cannot rebuild the model ({e})") from None
    model.eval()

    ref = str(tokenizer_path) if tokenizer_path else _tokenizer_ref(ckpt)
    if ref is None:
        raise VisualizerError(f"{path} names no tokenizer file: pass --tokenizer PATH (the file Tokenizer.save wrote)")
    tok_file = _resolve(ref, path)
    if tok_file is None:
        raise VisualizerError(f"tokenizer file {ref!r} (named by {'--tokenizer' if tokenizer_path else path}) "
                              "not found: pass --tokenizer PATH")
    try:
        tokenizer = Tokenizer.load(tok_file)
    except ValueError as e:
        raise VisualizerError(str(e)) from None
    if tokenizer.vocab_size > model.config.vocab_size:
        raise VisualizerError(f"tokenizer {tok_file} has {tokenizer.vocab_size} ids but the model embeds only "
                              f"{model.config.vocab_size}: this is not the tokenizer the model was trained with")
    return model, tokenizer
