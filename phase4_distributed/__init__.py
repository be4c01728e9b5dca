"""Phase 4 — distributed training: torchrun, hand-written all-reduce, DDP, ZeRO-1, FSDP2, scaling.

Reference modules (the learner's stubs live in exercises/):
  dist.py        4.1  init_distributed / teardown, rank-0 printing, logging and saving, run_local
  allreduce.py   4.1  gradient averaging with all_reduce, by hand
  ddp.py         4.2  DistributedDataParallel with no_sync gradient accumulation
  zero.py        4.2  ZeRO stage 1: AdamW with its state sharded across ranks
  checkpoint.py  4.2  save and resume under DDP / ZeRO / FSDP (rank 0 writes the model)
  fsdp.py        4.3  FSDP2 (fully_shard) per transformer block
  planner.py     4.3  which strategy fits in memory
  strategy.py    4.3  wrap_model(model, strategy, ctx): one entry point for the trainer
  scaling.py     4.3  python -m phase4_distributed.scaling --nproc 1,2
"""

from phase4_distributed.allreduce import (
    average_gradients,
    average_gradients_bucketed,
    broadcast_parameters,
    parameters_in_sync,
)
from phase4_distributed.checkpoint import load_checkpoint, load_state, save_checkpoint
from phase4_distributed.ddp import accumulate_gradients, gradient_sync, train_step, unwrap, wrap_ddp
from phase4_distributed.dist import (
    DistContext,
    all_reduce_mean,
    atomic_save,
    barrier,
    get_logger,
    get_rank,
    get_world_size,
    init_distributed,
    is_rank0,
    print0,
    rank_loader,
    run_local,
    save_on_rank0,
    teardown,
)
from phase4_distributed.fsdp import apply_fsdp
from phase4_distributed.planner import ModelShape, format_plan, plan_memory, recommend
from phase4_distributed.strategy import STRATEGIES, trainer_hooks, wrap_model, zero_adamw
from phase4_distributed.zero import ZeroAdamW

__all__ = [
    "DistContext", "all_reduce_mean", "atomic_save", "barrier", "get_logger", "get_rank", "get_world_size",
    "init_distributed", "is_rank0", "print0", "rank_loader", "run_local", "save_on_rank0", "teardown",
    "average_gradients", "average_gradients_bucketed", "broadcast_parameters", "parameters_in_sync",
    "accumulate_gradients", "gradient_sync", "train_step", "unwrap", "wrap_ddp",
    "ZeroAdamW", "save_checkpoint", "load_checkpoint", "load_state",
    "apply_fsdp", "ModelShape", "format_plan", "plan_memory", "recommend",
    "STRATEGIES", "trainer_hooks", "wrap_model", "zero_adamw",
]
