"""Checkpoint 1: a ~10M-parameter GPT initialises well: its loss at init is ln(vocab) +- 0.1.

    make checkpoint1                      # your code: phase1_model/exercises/*.py
    IMPL=reference make checkpoint1       # the reference implementation
    python -m checkpoints_exercises.phase1.checkpoint --lineage gpt2     # or nanochat

Why this criterion: before any training, a well-initialised model should be maximally unsure,
predicting every one of the V tokens with probability ~1/V, i.e. a cross-entropy of ln(V).
A loss far above means confident wrong guesses at step 0 (weights too large, a missing scale,
a broken norm); far below means the model sees the answer (a missing causal mask, targets
not shifted). Small logits of standard deviation s give ln(V) + s^2/2, hence the 0.1 band.

What it runs: a byte-level BPE tokenizer (phase 0 reference, trained in a second or two on 1 MB
of the default corpus, or reused from checkpoints/), the corpus written as token shards and
read back as (x, y) batches (phase 0.4), then the GPT of phase 1 with your code: parameter
table (1.1), forward pass and loss (1.2-1.5). On PASS it saves checkpoints/phase1.pt
(config + weights + the tokenizer file name) and the tokenizer beside it. Exit 0 on PASS, 1 on FAIL.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

import torch

from checkpoints_exercises import parse_checkpoint_args
from phase0_tokenizer.atomic import atomic_write
from phase0_tokenizer.corpus import DEFAULT_CORPUS, load_documents
from phase0_tokenizer.data import TokenDataset, get_batch, write_shards
from phase0_tokenizer.tokenizer import Tokenizer
from phase1_model.config import GPTConfig
from tools.impl import learner_todo, load_impl

TRAIN_BYTES = 1_000_000
VOCAB_SIZE = 4096
TOLERANCE = 0.1
# ~10M parameters: 8 layers x 320 channels (5 heads of 64): llama 12.8M, gpt2 11.3M with vocab 4096.
MODEL = dict(block_size=256, n_layer=8, n_head=5, n_embd=320)


def get_tokenizer(out_dir: Path, vocab_size: int, corpus: str, docs: list[str]) -> tuple[Tokenizer, Path, str]:
    """Reuse checkpoints/phase1_tokenizer.txt when its vocab size matches, else train one (seconds)."""
    path = out_dir / "phase1_tokenizer.txt"
    if path.exists():
        try:
            tok = Tokenizer.load(path)
            if tok.vocab_size == vocab_size:
                return tok, path, "reused"
        except Exception:  # damaged or from an older format: train a fresh one
            pass
    tok = Tokenizer.train("\n\n".join(docs), vocab_size)
    out_dir.mkdir(parents=True, exist_ok=True)
    tok.save(path)  # atomic (Tokenizer.save writes a temp file and renames it)
    return tok, path, f"trained on {corpus}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lineage", default="llama", choices=["gpt2", "llama", "nanochat"],
                        help="llama (default): untied, N(0, 0.02); gpt2 is tied and lands closer to the edge")
    parser.add_argument("--vocab-size", type=int, default=VOCAB_SIZE)
    parser.add_argument("--train-bytes", type=int, default=TRAIN_BYTES)
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--out-dir", default="checkpoints")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--small", action="store_true", help="a 2-layer model (for quick tests)")
    args = parse_checkpoint_args(parser, argv, "phase1_model")

    impl = args.impl
    print(f"Checkpoint 1 - loss at init is ln(vocab) +- {TOLERANCE}")
    if impl == "learner":
        todo = learner_todo("1")
        if todo:
            print("  exercises still TODO: " + ", ".join(f"{ex.commit} {ex.name}" for ex in todo))
    gpt = load_impl("phase1_model.gpt", impl)
    params = load_impl("phase1_model.params", impl)
    torch.manual_seed(args.seed)

    # ---- real tokens from the phase 0 pipeline (always the reference: this checkpoint is about phase 1)
    out_dir = Path(args.out_dir)
    start = time.perf_counter()
    docs = load_documents(args.corpus, max_bytes=args.train_bytes)
    tok, tok_path, how = get_tokenizer(out_dir, args.vocab_size, args.corpus, docs)
    with tempfile.TemporaryDirectory() as shards:
        write_shards(tok, docs, shards, val_fraction=0.0)  # an untrained model: no need to hold text out
        data = torch.from_numpy(TokenDataset(shards, "train").tokens.astype("int64"))
    print(f"  tokenizer: vocab {tok.vocab_size} ({how}, {tok_path}); corpus as {len(data):,} tokens "
          f"[{time.perf_counter() - start:.1f} s]")

    model_kw = dict(MODEL, n_layer=2) if args.small else MODEL
    config = GPTConfig.from_lineage(args.lineage, vocab_size=tok.vocab_size, **model_kw).validate(tokenizer=tok)
    try:
        model = gpt.GPT(config)
        print(f"\n{params.parameter_table(model)}\n")
        x, y = get_batch(data, args.batch_size, config.block_size, generator=torch.Generator().manual_seed(args.seed))
        with torch.no_grad():
            logits, loss = model(x, y)
    except NotImplementedError as e:
        print(f"FAIL: {e} is still a stub. Finish it (make phase{str(e).split()[1]} shows what is left), "
              "or run the reference: IMPL=reference make checkpoint1")
        return 1

    target = math.log(config.vocab_size)
    loss = loss.item()
    counts = params.count_parameters(model)
    print(f"  lineage {args.lineage}: {counts['total'] / 1e6:.2f}M parameters "
          f"({counts['non_embedding'] / 1e6:.2f}M non-embedding), {model.flops_per_token() / 1e6:.1f} MFLOPs/token")
    print(f"  batch {tuple(x.shape)} of corpus tokens -> logits {tuple(logits.shape)} {logits.dtype}")
    print(f"  loss at init {loss:.4f}   ln({config.vocab_size}) = {target:.4f}   difference {loss - target:+.4f}")
    if not (math.isfinite(loss) and abs(loss - target) <= TOLERANCE):
        hint = ("far too low: can the model see the tokens it predicts? (causal mask, targets shifted by one)"
                if loss < target else "too high: are the initial weights too large? (see GPT.init_weights)")
        print(f"FAIL: |{loss:.4f} - {target:.4f}| > {TOLERANCE}: {hint}")
        return 1

    path = out_dir / "phase1.pt"
    out_dir.mkdir(parents=True, exist_ok=True)
    state = model.checkpoint_state(tokenizer=tok_path.name, phase=1)
    atomic_write(path, lambda f: torch.save(state, f))  # a crash never leaves half a checkpoint
    print(f"  saved {path} (config + weights; tokenizer {tok_path.name} beside it)")
    print(f"PASS: loss at init {loss:.4f} is within {TOLERANCE} of ln({config.vocab_size}) = {target:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
