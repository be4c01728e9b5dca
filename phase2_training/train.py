"""Train a GPT from the command line:

    python -m phase2_training.train --config examples/tiny_model.py
    python -m phase2_training.train --config examples/tiny_model.py --max_steps=200 --lr=1e-3
    python -m phase2_training.train --config examples/tiny_model.py --resume      # continue the newest checkpoint
    python -m phase2_training.train --help                                        # every key and its default

Writes <out_dir>/metrics.jsonl, checkpoints/step_*.pt, loss.png and (with
--sample_tokens=N) samples.txt. Exit status: 0 done, 1 diverged or bad
checkpoint, 2 bad config.
"""

from __future__ import annotations

import dataclasses
import os
import sys

from phase2_training.checkpoint import CheckpointError
from phase2_training.config import ConfigError, TrainConfig, load_config


def usage() -> str:
    keys = "\n".join(f"  --{f.name}={getattr(TrainConfig(), f.name)!r}" for f in dataclasses.fields(TrainConfig))
    return f"{__doc__}\nKeys (defaults shown; a config file sets its own):\n{keys}\n"


def split_args(argv: list[str]) -> tuple[str | None, list[str]]:
    """(--config path, the other --key=value overrides)."""
    config, rest, i = None, [], 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--config":
            if i + 1 >= len(argv):
                raise ConfigError("--config needs a path: --config examples/tiny_model.py")
            config, i = argv[i + 1], i + 2
            continue
        if arg.startswith("--config="):
            config = arg.split("=", 1)[1]
        else:
            rest.append(arg)
        i += 1
    return config, rest


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "-h" in argv or "--help" in argv:
        print(usage())
        return 0
    try:
        path, overrides = split_args(argv)
        cfg = load_config(path, overrides)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    from phase2_training.plot import plot_metrics  # heavy imports after the config is known to be good
    from phase2_training.sample import write_samples
    from phase2_training.trainer import Trainer, TrainingDiverged
    hooks, teardown = {}, None
    if cfg.strategy != "single" or int(os.environ.get("WORLD_SIZE", "1")) > 1:
        # under torchrun: phase 4 joins the process group and hands back rank, world_size, wrap_model, log
        from phase4_distributed.dist import teardown
        from phase4_distributed.strategy import trainer_hooks
        _, hooks = trainer_hooks(cfg.strategy, cfg.compile, cfg.dtype, cfg.batch_size, cfg.block_size)
    elif cfg.compile:
        import torch
        hooks = {"wrap_model": torch.compile}
    try:
        trainer = Trainer(cfg, **hooks)
        trainer.log(f"device {trainer.device}, {trainer.model.num_params():,} parameters, "
                    f"{cfg.tokens_per_step * trainer.world_size:,} tokens/step, {cfg.max_steps} steps -> {cfg.out_dir}")
        summary = trainer.train()
    except TrainingDiverged as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except (CheckpointError, ValueError) as e:  # incl. phase 1/2 config errors found while building
        print(f"error: {e}", file=sys.stderr)
        return 1 if isinstance(e, CheckpointError) else 2
    finally:
        if teardown is not None:
            teardown()
    if not trainer.is_master:
        return 0
    png = plot_metrics(trainer.out_dir / "metrics.jsonl", trainer.out_dir / "loss.png")
    print(f"done: step {summary['step']}, train loss {summary.get('train_loss', float('nan')):.4f}, "
          f"val loss {summary.get('val_loss', float('nan')):.4f}, val bpb {summary.get('val_bpb', float('nan')):.4f}; "
          f"plot {png}")
    if cfg.sample_tokens:
        path = write_samples(trainer.model, trainer.tokenizer, trainer.out_dir / "samples.txt",
                             max_new_tokens=cfg.sample_tokens, device=trainer.device)
        print(f"samples: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
