"""Load a phase-1 checkpoint and the tokenizer it was trained with, with errors that say what to do.

A phase-1 checkpoint (written by checkpoints_exercises/phase1/checkpoint.py) is a
dict holding the model's config, its state_dict, and a reference to the
tokenizer file. `GPT.from_checkpoint` rebuilds the model; the tokenizer path is
resolved as written, then next to the checkpoint, then from the repository root,
so a checkpoint keeps working when the repository is moved.
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


class VisualizerError(Exception):
    """A problem the user can fix (missing file, out-of-range layer...): printed without a traceback."""


def _tokenizer_ref(ckpt: dict) -> str | None:
    """The checkpoint's "tokenizer": a file name (phase 1) or {"path", "sha256", ...} (phase 2)."""
    ref = ckpt.get("tokenizer")
    if isinstance(ref, dict):
        ref = ref.get("path")
    return str(ref) if isinstance(ref, (str, Path)) else None


def _resolve(ref: str, checkpoint: Path) -> Path | None:
    p = Path(ref)
    for candidate in (p, checkpoint.parent / p.name, checkpoint.parent / p, REPO_ROOT / p):
        if candidate.is_file():
            return candidate
    return None


def load_model_and_tokenizer(checkpoint: str | Path, tokenizer_path: str | Path | None = None):
    """(model in eval mode on CPU, Tokenizer) from a phase-1 checkpoint; VisualizerError when something is missing."""
    from phase0_tokenizer.tokenizer import Tokenizer
    from phase1_model import GPT, CheckpointError, read_checkpoint

    path = Path(checkpoint)
    if not path.is_file():
        raise VisualizerError(f"checkpoint {path} not found: train one with `python -m checkpoints_exercises.phase1"
                              ".checkpoint` (it writes checkpoints/phase1.pt), or pass --checkpoint PATH")
    try:
        ckpt = read_checkpoint(path)  # the course's one loader: weights_only, onto the CPU
        model = GPT.from_checkpoint(ckpt)
    except CheckpointError as e:
        raise VisualizerError(f"{path} is not a readable checkpoint: {e}") from None
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
