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

from phase0_tokenizer.lazy import lazy_exports

# name -> module that defines it, imported on first use (see phase0_tokenizer/lazy.py for why).
_EXPORTS = {
    "average_gradients": "phase4_distributed.allreduce",
    "average_gradients_bucketed": "phase4_distributed.allreduce",
    "broadcast_parameters": "phase4_distributed.allreduce", "parameters_in_sync": "phase4_distributed.allreduce",
    "load_checkpoint": "phase4_distributed.checkpoint", "load_state": "phase4_distributed.checkpoint",
    "save_checkpoint": "phase4_distributed.checkpoint",
    "accumulate_gradients": "phase4_distributed.ddp", "gradient_sync": "phase4_distributed.ddp",
    "train_step": "phase4_distributed.ddp", "unwrap": "phase4_distributed.ddp",
    "wrap_ddp": "phase4_distributed.ddp",
    "DistContext": "phase4_distributed.dist", "all_reduce_mean": "phase4_distributed.dist",
    "atomic_save": "phase4_distributed.dist", "barrier": "phase4_distributed.dist",
    "get_logger": "phase4_distributed.dist", "get_rank": "phase4_distributed.dist",
    "get_world_size": "phase4_distributed.dist", "init_distributed": "phase4_distributed.dist",
    "is_rank0": "phase4_distributed.dist", "print0": "phase4_distributed.dist",
    "rank_loader": "phase4_distributed.dist", "run_local": "phase4_distributed.dist",
    "save_on_rank0": "phase4_distributed.dist", "teardown": "phase4_distributed.dist",
    "apply_fsdp": "phase4_distributed.fsdp",
    "ModelShape": "phase4_distributed.planner", "format_plan": "phase4_distributed.planner",
    "plan_memory": "phase4_distributed.planner", "recommend": "phase4_distributed.planner",
    "STRATEGIES": "phase4_distributed.strategy", "trainer_hooks": "phase4_distributed.strategy",
    "wrap_model": "phase4_distributed.strategy", "zero_adamw": "phase4_distributed.strategy",
    "ZeroAdamW": "phase4_distributed.zero",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
