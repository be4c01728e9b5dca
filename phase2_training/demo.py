"""The whole pipeline in one command (`make demo`): corpus -> tokenizer -> shards -> GPT -> report.

    python -m phase2_training.demo                                   # CPU, offline, <= 10 minutes on 2 cores
    python -m phase2_training.demo --config examples/demo_gpu.py --out runs/demo_gpu     # the same on a GPU
    python -m phase2_training.demo --max_steps=50 --out runs/demo_smoke                  # any --key=value override

Steps: load the default corpus (ASV Bible, offline) -> train a BPE tokenizer
(phase 0) -> write train/val shards (phase 0) -> train a GPT (phase 1 model,
phase 2 loop) -> measure val bits per byte on the whole val split against a
unigram baseline -> sample text -> write runs/demo/: metrics.jsonl, loss.png,
samples.txt, checkpoints/ and report.md (a report card in the spirit of nanochat's).
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import sys
import time
from pathlib import Path

import torch

from phase0_tokenizer.data import SequentialLoader, TokenDataset, token_bytes
from phase2_training.config import ConfigError, load_config
from phase2_training.data_prep import prepare_data
from phase2_training.evaluate import evaluate
from phase2_training.loss import unigram_bits_per_byte
from phase2_training.plot import plot_metrics
from phase2_training.sample import DEFAULT_PROMPTS, sample_texts

DEFAULT_CONFIG = "examples/demo_cpu.py"


def full_val_metrics(trainer) -> dict:
    """Loss and bits per byte over every non-overlapping window of the val split (not just eval_iters)."""
    cfg = trainer.cfg
    val = TokenDataset(trainer.data.data_dir, "val")
    loader = SequentialLoader(val, cfg.batch_size, cfg.block_size, device=trainer.device)
    batches = (next(loader) for _ in range(loader.steps_per_epoch))
    out = evaluate(trainer.model, batches, trainer.token_bytes, autocast=trainer.autocast)
    out["tokens"] = loader.steps_per_epoch * cfg.batch_size * cfg.block_size
    return out


def tokenizer_stats(data) -> dict:
    train, val = TokenDataset(data.data_dir, "train"), TokenDataset(data.data_dir, "val")
    tb = token_bytes(data.tokenizer)
    val_ids = torch.from_numpy(val.tokens.astype("int64"))
    val_bytes = int(tb[val_ids].sum())
    return {"vocab_size": data.tokenizer.vocab_size, "train_tokens": len(train), "val_tokens": len(val),
            "val_bytes_per_token": val_bytes / len(val),
            "unigram_bpb": unigram_bits_per_byte(torch.from_numpy(train.tokens.astype("int64")), val_ids, tb)}


def write_report(path: Path, cfg, trainer, summary: dict, stats: dict, final: dict, samples: list[tuple[str, str]],
                 timings: dict) -> None:
    params = trainer.model.num_params()
    tok_s = summary["tokens_seen"] / max(summary["elapsed_s"], 1e-9)
    gain = stats["unigram_bpb"] - final["bpb"]
    lines = [
        "# mini-nanochat demo report", "",
        f"Machine: {platform.machine()} {platform.system()}, {torch.get_num_threads()} torch threads, "
        f"device {trainer.device}, torch {torch.__version__}, Python {platform.python_version()}.", "",
        "## Result", "",
        "| metric | value |", "|---|---|",
        f"| val bits per byte (whole val split, {final['tokens']:,} tokens) | **{final['bpb']:.4f}** |",
        f"| unigram baseline bits per byte | {stats['unigram_bpb']:.4f} |",
        f"| improvement over unigram | {gain:.4f} bits/byte ({100 * gain / stats['unigram_bpb']:.1f}%) |",
        f"| val loss (nats/token) | {final['loss']:.4f} |",
        f"| final train loss (nats/token) | {summary.get('train_loss', float('nan')):.4f} |", "",
        "## Run", "",
        "| | |", "|---|---|",
        f"| parameters | {params:,} ({trainer.model.num_params(non_embedding=True):,} non-embedding) |",
        f"| steps x tokens/step | {summary['step']} x {cfg.tokens_per_step:,} |",
        f"| tokens seen | {summary['tokens_seen']:,} |",
        f"| training throughput | {tok_s:,.0f} tokens/s |",
        f"| FLOPs per token (6N + attention) | {trainer.model.flops_per_token():,} |",
        f"| tokenizer training | {timings['tokenizer_s']:.1f} s |",
        f"| sharding | {timings['shards_s']:.1f} s |",
        f"| training (steps only) | {summary['elapsed_s']:.1f} s |",
        f"| whole demo, wall clock | {timings['total_s']:.1f} s |", "",
        "## Tokenizer and data", "",
        f"Corpus {cfg.corpus!r}, BPE vocabulary {stats['vocab_size']:,} (trained on "
        f"{'all' if cfg.tokenizer_bytes is None else f'the first {cfg.tokenizer_bytes:,}'} bytes), "
        f"{stats['train_tokens']:,} train and {stats['val_tokens']:,} val tokens, "
        f"{stats['val_bytes_per_token']:.2f} UTF-8 bytes per val token.", "",
        "## Samples (temperature 0.8, top-k 50)", "",
    ]
    for prompt, text in samples:
        lines += [f"**{prompt}** →", "", "> " + text.replace("\n", "\n> "), ""]
    lines += ["## Loss curve", "", "![loss](loss.png)", "", "## Config", "", "```python",
              *(f"{k} = {v!r}" for k, v in dataclasses.asdict(cfg).items()), "```", "",
              "## Model config", "", "```python",
              *(f"{k} = {v!r}" for k, v in trainer.model_config.to_dict().items()), "```", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def run(cfg, log=print) -> dict:
    """The pipeline for a TrainConfig; returns the numbers the report shows."""
    from phase2_training.train import build_trainer
    t0 = time.perf_counter()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    data = prepare_data(cfg, log=log)
    stats = tokenizer_stats(data)
    log(f"tokenizer: {stats['vocab_size']} tokens, {stats['val_bytes_per_token']:.2f} bytes/token on val; "
        f"unigram baseline {stats['unigram_bpb']:.4f} bits/byte")
    trainer = build_trainer(cfg, log=log, data=data)  # the phase-2 composition root (train.py)
    log(f"model: {trainer.model.num_params():,} parameters; {cfg.max_steps} steps of {cfg.tokens_per_step:,} tokens")
    summary = trainer.train()
    final = full_val_metrics(trainer)
    log(f"val bits per byte {final['bpb']:.4f} vs unigram {stats['unigram_bpb']:.4f}")
    samples = [(p, sample_texts(trainer.model, data.tokenizer, p, 1, 48, device=trainer.device)[0])
               for p in DEFAULT_PROMPTS]
    out = Path(cfg.out_dir)
    (out / "samples.txt").write_text("\n\n".join(f"[{p}]\n{t}" for p, t in samples) + "\n", encoding="utf-8")
    plot_metrics(out / "metrics.jsonl", out / "loss.png", baseline_bpb=stats["unigram_bpb"], title="demo")
    timings = {**data.timings, "total_s": time.perf_counter() - t0}
    write_report(out / "report.md", cfg, trainer, summary, stats, final, samples, timings)
    return {"summary": summary, "stats": stats, "final": final, "timings": timings, "samples": samples}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=DEFAULT_CONFIG)
    parser.add_argument("--out", default=None, help="output folder (default: the config's out_dir, runs/demo)")
    args, overrides = parser.parse_known_args(argv)
    try:
        cfg = load_config(args.config, overrides + ([f"--out_dir={args.out}"] if args.out else []))
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    result = run(cfg)
    for prompt, text in result["samples"]:
        print(f"\n[{prompt}] {text}")
    print(f"\nval bits per byte {result['final']['bpb']:.4f} (unigram baseline {result['stats']['unigram_bpb']:.4f}); "
          f"demo took {result['timings']['total_s']:.0f} s. Report: {Path(cfg.out_dir) / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
