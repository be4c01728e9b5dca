"""Train a GPT with phases 0-2: the composition root, read top to bottom in execution order (ADR 019).

    python -m phase2_training.train --config examples/tiny_model.py
    python -m phase2_training.train --config examples/tiny_model.py --max_steps=200 --lr=1e-3
    python -m phase2_training.train --config examples/tiny_model.py --model.n_layer=4   # a model field
    python -m phase2_training.train --config examples/tiny_model.py --resume      # continue the newest checkpoint
    python -m phase2_training.train --config examples/tiny_model.py --overwrite   # old run -> <out_dir>.old-<time>
    python -m phase2_training.train --help                                        # every key and its default

`build_trainer` below is the whole wiring, in the order it runs: config -> device and
seed -> data (phase 0: tokenizer + shards) -> model (phase 1) -> optimizer (torch's
AdamW) -> precision (autocast) -> loaders -> Trainer (the loop, which builds nothing).
Phase 3's entry (python -m phase3_optim.train) repeats it with its optimizers and the
fp16 loss scaler; phase 4's (torchrun ... -m phase4_distributed.train) adds the
process group, the parallel wrapper and the gather/scatter checkpoint functions.

Writes <out_dir>/metrics.jsonl, checkpoints/step_*.pt, loss.png and (with
--sample_tokens=N) samples.txt. A fresh run refuses an out_dir that holds a run
(--resume continues it, --overwrite moves it to <out_dir>.old-<time>), and a lock
stops a second trainer on the same out_dir. Exit status: 0 done; 1 the run stopped
(diverged, a checkpoint that does not verify, disk full); 2 bad config or usage
(flags, config file, device, data, out_dir, a resume with another optimizer).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import sys
from collections.abc import Callable

import torch

from phase0_tokenizer.data import SequentialLoader, TokenDataset
from phase1_model import GPT, CheckpointError, ConfigError
from phase2_training.config import TrainConfig, load_config
from phase2_training.data_prep import PreparedData, prepare_data
from phase2_training.device import autocast_context, pick_device, seed_everything
from phase2_training.optimizer import make_adamw
from phase2_training.out_dir import check_fresh, claim_out_dir
from phase2_training.trainer import Trainer, TrainingDiverged


# ---- the pieces every entry shares (phase 3's and phase 4's import them) ---------------------------
def build_model(cfg: TrainConfig, data: PreparedData, device: torch.device) -> GPT:
    """Phase 1's GPT for cfg.model, sized to the tokenizer's vocabulary, on `device`."""
    return GPT(cfg.model_config(data.tokenizer.vocab_size)).to(device)


def build_loaders(cfg: TrainConfig, data: PreparedData, device: torch.device, rank: int = 0,
                  world_size: int = 1) -> tuple[SequentialLoader, list]:
    """(shuffled train loader, fixed val batches); each rank reads its own windows of both splits."""
    vocab = data.tokenizer.vocab_size  # each shard's max id is checked once against it (phase 0)
    train, val = TokenDataset(data.data_dir, "train", vocab), TokenDataset(data.data_dir, "val", vocab)
    loader = SequentialLoader(train, cfg.batch_size, cfg.block_size, rank, world_size, device,
                              shuffle=True, seed=cfg.seed)
    val_loader = SequentialLoader(val, cfg.batch_size, cfg.block_size, rank, world_size, device)
    # fixed val batches: every eval sees the same tokens and consumes no randomness
    return loader, [next(val_loader) for _ in range(min(cfg.eval_iters, val_loader.steps_per_epoch))]


def maybe_compile(model: torch.nn.Module, enabled: bool) -> torch.nn.Module:
    """torch.compile(model) when enabled: the compiled module shares the weights (checkpoints save `model`)."""
    return torch.compile(model) if enabled else model


def refuse(cfg: TrainConfig, entry: str, **supported) -> None:
    """ConfigError naming the entry to use when cfg asks for something this one cannot run."""
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        raise ConfigError(f"{entry} runs one process, but torchrun started {os.environ['WORLD_SIZE']}: "
                          "use torchrun ... -m phase4_distributed.train")
    for key, allowed in supported.items():
        value = getattr(cfg, key)
        if value not in allowed:
            raise ConfigError(f"{key}={value!r} is not run by {entry} (it runs {', '.join(allowed)}): "
                              + ("use python -m phase3_optim.train" if key in ("optimizer", "dtype")
                                 else "use torchrun ... -m phase4_distributed.train"))


# ---- the phase-2 composition root ------------------------------------------------------------------
def build_trainer(cfg: TrainConfig, log: Callable = print, data: PreparedData | None = None) -> Trainer:
    """Everything the loop needs, built in order, handed to the Trainer as objects."""
    refuse(cfg, "phase2_training.train", optimizer=("adamw",), dtype=("fp32", "bf16"), strategy=("single", "auto"))
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)                         # cuda > mps > cpu, or what was asked
    seed_everything(cfg.seed)                                # before the model: its init draws from torch
    data = data or prepare_data(cfg, log=log)                # phase 0: tokenizer + shards, cached
    model = build_model(cfg, data, device)                   # phase 1
    train_model = maybe_compile(model, cfg.compile)          # what runs forward/backward
    optimizer = make_adamw(model, cfg)                       # torch's AdamW, two weight-decay groups
    autocast = autocast_context(cfg.dtype, device)           # fp32: nothing; bf16: torch.autocast
    loader, val_batches = build_loaders(cfg, data, device)
    trainer = Trainer(cfg, data, model, optimizer, loader, val_batches, device=device, train_model=train_model,
                      autocast=autocast, log=log)
    if cfg.resume:
        trainer.resume()
    return trainer


# ---- the command line, shared by every entry --------------------------------------------------------
def usage(doc: str) -> str:
    defaults = TrainConfig()
    keys = ["  --config PATH   a config file (examples/*.py) whose keys the flags below override"]
    keys += [f"  --{f.name}={getattr(defaults, f.name)!r}" for f in dataclasses.fields(TrainConfig)
             if f.name != "model"]
    keys += [f"  --model.{f.name}={getattr(defaults.model, f.name)!r}" for f in dataclasses.fields(defaults.model)]
    return f"{doc}\nKeys (defaults shown; a config file sets its own):\n" + "\n".join(keys) + "\n"


def split_args(argv: list[str]) -> tuple[str | None, list[str]]:
    """(--config path, the other --key=value overrides)."""
    config, rest, i = None, [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--config":
            if i + 1 >= len(argv) or argv[i + 1].startswith("--"):
                raise ConfigError("--config needs a path: --config examples/tiny_model.py")
            config, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--config="):
            config = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    return config, rest


def parse(argv: list[str]) -> TrainConfig:
    path, overrides = split_args(argv)
    return load_config(path, overrides)


def finish(trainer: Trainer, summary: dict) -> None:
    """Rank 0 after training: the loss plot, the summary line, samples if asked."""
    from phase2_training.plot import plot_metrics  # matplotlib: only once training is done
    from phase2_training.sample import write_samples
    cfg = trainer.cfg
    png = plot_metrics(trainer.out_dir / "metrics.jsonl", trainer.out_dir / "loss.png")
    if "train_loss" not in summary:  # resumed at or past max_steps: no step ran, so no loss to report
        print(f"nothing to train: the run is at step {summary['step']} and --max_steps={cfg.max_steps}; "
              f"raise --max_steps to continue it. Plot {png}")
        return
    print(f"done: step {summary['step']}, train loss {summary['train_loss']:.4f}, "
          f"val loss {summary.get('val_loss', float('nan')):.4f}, val bpb {summary.get('val_bpb', float('nan')):.4f}; "
          f"plot {png}")
    if cfg.sample_tokens:
        path = write_samples(trainer.model, trainer.tokenizer, trainer.out_dir / "samples.txt",
                             max_new_tokens=cfg.sample_tokens, device=trainer.device)
        print(f"samples: {path}")


def out_dir_guard(cfg: TrainConfig):
    """Rank 0 (torchrun's RANK, 0 for one process) locks and claims out_dir; other ranks only check it."""
    if int(os.environ.get("RANK", "0")) == 0:
        return claim_out_dir(cfg.out_dir, resume=cfg.resume, overwrite=cfg.overwrite)
    if not cfg.overwrite:  # with --overwrite rank 0 is moving the old run aside right now
        check_fresh(cfg.out_dir, cfg.resume, cfg.overwrite)
    return contextlib.nullcontext()


def run(argv: list[str] | None, build: Callable[[TrainConfig], Trainer], doc: str,
        teardown: Callable[[], None] | None = None) -> int:
    """Parse, build with `build`, train, finish; errors become one line and an exit status."""
    argv = sys.argv[1:] if argv is None else argv
    if "-h" in argv or "--help" in argv:
        print(usage(doc))
        return 0
    try:
        cfg = parse(argv)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        with out_dir_guard(cfg):  # the lock, and no fresh run over an old one (out_dir.py)
            trainer = build(cfg)
            trainer.log(f"device {trainer.device}, {trainer.model.num_params():,} parameters, "
                        f"{cfg.tokens_per_step * trainer.world_size:,} tokens/step, {cfg.max_steps} steps "
                        f"-> {cfg.out_dir}")
            summary = trainer.train()
            if trainer.is_master:
                finish(trainer, summary)
    except (TrainingDiverged, CheckpointError) as e:  # DiskFullError is a CheckpointError
        print(f"error: {e}", file=sys.stderr)
        return 1
    except ValueError as e:  # ConfigError (phase 1 and 2 share it) and other bad values found while building
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # the disk filled up or a file vanished mid-run: say which, no traceback
        full = " (disk full: free some space, then continue with --resume)" if e.errno == errno.ENOSPC else ""
        print(f"error: {e}{full}", file=sys.stderr)
        return 1
    finally:
        (teardown or (lambda: None))()
    return 0


def main(argv: list[str] | None = None) -> int:
    return run(argv, build_trainer, __doc__)


if __name__ == "__main__":
    sys.exit(main())
