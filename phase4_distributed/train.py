"""Train a GPT with every phase: the full composition root, one process or many (ADR 019).

    torchrun --nproc_per_node=8 -m phase4_distributed.train --config examples/gpt_500m.py
    torchrun --nproc_per_node=2 -m phase4_distributed.train --config examples/tiny_model.py --strategy=fsdp
    python -m phase4_distributed.train --config examples/tiny_model.py        # one process: strategy "single"
    python -m phase2_training.data_prep --config examples/gpt_500m.py         # prepare the data first (optional)
    python -m phase4_distributed.train --help                                  # every key and its default

Phase 3's build_trainer, plus what phase 4 adds, in the order it runs:

    data is prepared ONCE, by rank 0, before any process group exists (the others wait
        for the files, not in a collective that would time out: fineweb takes minutes)
    ctx = init_distributed(timeout=cfg.dist_timeout_s)     who am I, which device, NCCL or gloo
    strategy = choose_strategy(...)                        single | ddp | zero1 | fsdp, logged with why
    train_model = wrap_model(model, strategy, ...)         compile, then DDP; or stem, blocks, head compiled, then FSDP
    optimizer = ZeroAdamW for zero1, else phase 3's        built after wrapping (FSDP's shards)
    scaler = DistributedLossScaler for fp16                found-inf agreed by all ranks
    Trainer(..., grad_sync=gradient_sync,                  one gradient reduction per optimizer step
            state=DISTRIBUTED_STATE,                       gather to one full checkpoint, scatter back
            reduce_mean=all_reduce_mean, rank, world_size) val loss over all ranks; rank 0 writes
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

import torch

from phase2_training.config import TrainConfig
from phase2_training.data_prep import PreparedData, data_dir_for, prepare_data
from phase2_training.device import autocast_context, seed_everything
from phase2_training.train import build_loaders, build_model, run
from phase2_training.trainer import Trainer
from phase3_optim.train import make_optimizer
from phase4_distributed.checkpoint import DISTRIBUTED_STATE
from phase4_distributed.ddp import gradient_sync
from phase4_distributed.dist import DistContext, all_reduce_mean, init_distributed, print0, teardown
from phase4_distributed.strategy import DistributedLossScaler, choose_strategy, wrap_model, zero1_optimizer


def prepare_once(cfg: TrainConfig, log: Callable = print, poll_s: float = 1.0) -> PreparedData:
    """Rank 0 (by torchrun's RANK) builds tokenizer and shards; the others wait for its files, then read
    them. Runs BEFORE the process group, so a long preparation never hits a collective's timeout."""
    if int(os.environ.get("RANK", "0")) == 0:
        return prepare_data(cfg, log=log)
    ready = data_dir_for(cfg) / "meta.json"  # phase 0 writes it last: its presence marks complete data
    deadline = time.monotonic() + cfg.dist_timeout_s
    while not ready.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"rank {os.environ.get('RANK')}: no prepared data at {ready.parent} after "
                               f"{cfg.dist_timeout_s:g} s; prepare it first with `python -m phase2_training.data_prep "
                               "--config <your config>` or raise --dist_timeout_s")
        time.sleep(poll_s)
    return prepare_data(cfg, log=lambda *a, **k: None)


def build_trainer(cfg: TrainConfig, log: Callable = print, data: PreparedData | None = None,
                  ctx: DistContext | None = None) -> Trainer:
    """Everything the loop needs for `cfg` on this rank, in order, handed to the Trainer as objects."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    data = data or prepare_once(cfg, log=log)                          # before the group: no timeout
    ctx = ctx or init_distributed(device=None if cfg.device == "auto" else cfg.device,
                                  timeout_s=cfg.dist_timeout_s)        # phase 4.1
    log = log if ctx.is_rank0 else (lambda *a, **k: None)
    seed_everything(cfg.seed)                                          # the same initial weights on every rank
    model = build_model(cfg, data, ctx.device)                         # phase 1
    strategy, why = choose_strategy(cfg.strategy, model, ctx, cfg.batch_size, cfg.block_size, cfg.dtype)
    log(f"strategy {strategy} ({why}); {ctx.world_size} process(es), {ctx.backend or 'no process group'}"
        f"{', compiled' if cfg.compile else ''}")
    param_dtype = torch.bfloat16 if strategy == "fsdp" and cfg.dtype == "bf16" and ctx.device.type == "cuda" \
        else None
    train_model = wrap_model(model, strategy, ctx, compile=cfg.compile, param_dtype=param_dtype)  # 4.2-4.3
    optimizer = zero1_optimizer(model, cfg) if strategy == "zero1" else make_optimizer(model, cfg)  # after FSDP
    log(f"optimizer: {getattr(optimizer, 'describe', lambda: cfg.optimizer)()}")  # the update path, and why
    autocast = autocast_context(cfg.dtype, ctx.device)
    scaler = DistributedLossScaler() if cfg.dtype == "fp16" else None   # phase 3.3, agreed across ranks
    loader, val_batches = build_loaders(cfg, data, ctx.device, ctx.rank, ctx.world_size)
    trainer = Trainer(cfg, data, model, optimizer, loader, val_batches, device=ctx.device, train_model=train_model,
                      autocast=autocast, scaler=scaler, grad_sync=gradient_sync, state=DISTRIBUTED_STATE,
                      reduce_mean=all_reduce_mean, rank=ctx.rank, world_size=ctx.world_size, log=log)
    if cfg.resume:
        trainer.resume()
    return trainer


def main(argv: list[str] | None = None) -> int:
    return run(argv, lambda cfg: build_trainer(cfg, log=print0), __doc__, teardown=teardown)


if __name__ == "__main__":
    sys.exit(main())
