"""Sample text from a checkpoint:

    python -m phase2_training.sample --checkpoint runs/demo/checkpoints --prompt "And God said"
    python -m phase2_training.sample --checkpoint runs/demo/checkpoints/step_001000.pt --prompt "The LORD" \\
        --num_samples 3 --max_new_tokens 80 --temperature 0.8 --top_k 50 --seed 0

The checkpoint names its tokenizer (path and SHA-256, ADR 012); a prompt is
encoded after <|bos|>, as every training document starts, and generation uses
phase 1's KV-cached sampler. Text after a generated <|bos|> (a new document) is cut.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import torch

from phase0_tokenizer.tokenizer import Tokenizer
from phase1_model import GPT
from phase2_training.checkpoint import CheckpointError, load_checkpoint
from phase2_training.data_prep import file_sha256
from phase2_training.device import DeviceError, pick_device


def load_model(checkpoint: str | Path, device: str | torch.device = "cpu",
               tokenizer_path: str | Path | None = None) -> tuple[GPT, Tokenizer, dict]:
    """(model in eval mode, its tokenizer, the checkpoint dict) from a step_*.pt file or a checkpoints folder."""
    state = load_checkpoint(checkpoint, log=lambda msg: print(f"warning: {msg}", file=sys.stderr))  # skipped ones
    model = GPT.from_checkpoint(state)  # phase 1 reads its own two keys, model_config and model
    ref = state["tokenizer"]
    path = Path(tokenizer_path or ref["path"])
    if not path.is_file():
        raise CheckpointError(f"the checkpoint's tokenizer {path} is missing: re-run the training config (it rebuilds "
                              "the data folder), or pass --tokenizer PATH")
    if tokenizer_path is None and file_sha256(path) != ref["sha256"]:
        raise CheckpointError(f"{path} changed since the checkpoint was written (SHA-256 differs): the ids would "
                              "mean other text; pass the right file with --tokenizer")
    return model.to(device).eval(), Tokenizer.load(path), state


def sample_texts(model: GPT, tokenizer: Tokenizer, prompt: str = "", num_samples: int = 1,
                 max_new_tokens: int = 100, temperature: float = 0.8, top_k: int | None = 50,
                 seed: int | None = 0, device: str | torch.device = "cpu") -> list[str]:
    """`num_samples` continuations of `prompt` (prompt included), each cut at a generated <|bos|>."""
    ids = [tokenizer.bos_id] + tokenizer.encode_ordinary(prompt)
    idx = torch.tensor([ids] * num_samples, dtype=torch.long, device=device)
    out = model.generate(idx, max_new_tokens, temperature=temperature, top_k=top_k, seed=seed)
    texts = []
    for row in out.tolist():
        new = row[len(ids):]
        if tokenizer.bos_id in new:
            new = new[:new.index(tokenizer.bos_id)]
        texts.append(prompt + tokenizer.decode(new))
    return texts


DEFAULT_PROMPTS = ("And God said", "The LORD is", "In the beginning")


def write_samples(model: GPT, tokenizer: Tokenizer, path: str | Path, prompts=DEFAULT_PROMPTS,
                  max_new_tokens: int = 60, device: str | torch.device = "cpu", seed: int = 0) -> Path:
    """One sample per prompt, written to `path` as plain text; returns the path."""
    blocks = [f"[{p}]\n{sample_texts(model, tokenizer, p, 1, max_new_tokens, seed=seed, device=device)[0]}\n"
              for p in prompts]
    path = Path(path)
    path.write_text("\n".join(blocks), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate text from a phase-2 checkpoint.")
    parser.add_argument("--checkpoint", required=True, help="a step_*.pt file or a checkpoints/ folder (newest)")
    parser.add_argument("--prompt", default="", help="text to continue (default: start a new document)")
    parser.add_argument("--num_samples", type=int, default=1)
    parser.add_argument("--max_new_tokens", type=int, default=100)
    parser.add_argument("--temperature", type=float, default=0.8, help="0 = greedy")
    parser.add_argument("--top_k", type=int, default=50, help="0 = no top-k filter")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--tokenizer", default=None, help="override the tokenizer file the checkpoint names")
    args = parser.parse_args(argv)
    # argparse exits 2 with the usage line: the same code the trainer uses for a bad flag
    if not (math.isfinite(args.temperature) and args.temperature >= 0):
        parser.error(f"--temperature={args.temperature}: must be a finite number >= 0 (0 = greedy, typical 0.8)")
    if args.top_k < 0:
        parser.error(f"--top_k={args.top_k}: must be >= 0 (0 = no top-k filter, typical 50)")
    if args.num_samples < 1:
        parser.error(f"--num_samples={args.num_samples}: must be >= 1")
    if args.max_new_tokens < 1:
        parser.error(f"--max_new_tokens={args.max_new_tokens}: must be >= 1")
    try:
        device = pick_device(args.device)
    except DeviceError as e:
        parser.error(str(e))
    try:
        model, tokenizer, state = load_model(args.checkpoint, device, args.tokenizer)
    except (CheckpointError, RuntimeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    texts = sample_texts(model, tokenizer, args.prompt, args.num_samples, args.max_new_tokens, args.temperature,
                         args.top_k or None, args.seed, device)
    print(f"# step {state['step']}, {model.num_params():,} parameters", file=sys.stderr)
    for i, text in enumerate(texts):
        print(f"--- sample {i + 1}\n{text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
