"""Phase 4 — distributed training: torchrun, hand-written all-reduce, DDP, ZeRO-1, FSDP2, scaling.

Reference modules (the learner's stubs live in exercises/):
  dist.py        4.1  init_distributed / teardown, print0, all_reduce_mean, run_local (tests)
  allreduce.py   4.1  gradient averaging with all_reduce, by hand
  ddp.py         4.2  DistributedDataParallel, and gradient_sync: one reduction per optimizer step
  zero.py        4.2  ZeRO stage 1: AdamW with its state sharded across ranks
  checkpoint.py  4.2  gather sharded state into phase 2's checkpoint format, and scatter it back
  fsdp.py        4.3  FSDP2 (fully_shard) per transformer block
  planner.py     4.3  which strategy fits in memory
  strategy.py    4.3  choose a strategy, wrap the model, its optimizer and fp16 scaler
  train.py       4.3  the full composition root: torchrun ... -m phase4_distributed.train
  scaling.py     4.3  python -m phase4_distributed.scaling --nproc 1,2
"""

from phase0_tokenizer.lazy import lazy_exports

# name -> module that defines it, imported on first use (see phase0_tokenizer/lazy.py for why).
_EXPORTS = {
    "average_gradients": "phase4_distributed.allreduce",
    "average_gradients_bucketed": "phase4_distributed.allreduce",
    "broadcast_parameters": "phase4_distributed.allreduce", "parameters_in_sync": "phase4_distributed.allreduce",
    "DISTRIBUTED_STATE": "phase4_distributed.checkpoint", "load_state": "phase4_distributed.checkpoint",
    "model_state_dict": "phase4_distributed.checkpoint", "optimizer_state_dict": "phase4_distributed.checkpoint",
    "gradient_sync": "phase4_distributed.ddp", "unwrap": "phase4_distributed.ddp", "wrap_ddp": "phase4_distributed.ddp",
    "DistContext": "phase4_distributed.dist", "all_reduce_mean": "phase4_distributed.dist",
    "barrier": "phase4_distributed.dist", "get_rank": "phase4_distributed.dist",
    "get_world_size": "phase4_distributed.dist", "init_distributed": "phase4_distributed.dist",
    "is_rank0": "phase4_distributed.dist", "print0": "phase4_distributed.dist",
    "run_local": "phase4_distributed.dist", "teardown": "phase4_distributed.dist",
    "apply_fsdp": "phase4_distributed.fsdp",
    "ModelShape": "phase4_distributed.planner", "format_plan": "phase4_distributed.planner",
    "plan_memory": "phase4_distributed.planner", "recommend": "phase4_distributed.planner",
    "STRATEGIES": "phase4_distributed.strategy", "DistributedLossScaler": "phase4_distributed.strategy",
    "choose_strategy": "phase4_distributed.strategy", "wrap_model": "phase4_distributed.strategy",
    "zero1_optimizer": "phase4_distributed.strategy",
    "build_trainer": "phase4_distributed.train",
    "ZeroAdamW": "phase4_distributed.zero",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
