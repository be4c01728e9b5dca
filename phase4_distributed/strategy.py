"""Commit 4.3 — one entry point for the trainer: pick a strategy, wrap the model, build the optimizer.

    ctx = init_distributed()                                   # dist.py
    model = wrap_model(model, "ddp", ctx, compile=True)        # or "single", "zero1", "fsdp", "auto"

The strategies, simplest first (ADR 016):

    single  one process, nothing to wrap
    ddp     DistributedDataParallel: full replicas, gradients all-reduced (ddp.py)
    zero1   DDP + ZeroAdamW: optimizer state sharded (zero.py); pick the optimizer with
            --optimizer=phase4_distributed.strategy:zero_adamw
    fsdp    FSDP2: parameters, gradients and optimizer state sharded (fsdp.py)
    auto    the first of those the memory planner says fits (planner.py)

The order of wrappers matters: torch.compile goes inside DDP (as nanoGPT does), so
DDP's hooks still see every parameter; FSDP shards first and is compiled after.
`trainer_hooks()` returns the keyword arguments phase 2's Trainer accepts (rank,
world_size, wrap_model, log), so the trainer itself needs no distributed code.
"""

from __future__ import annotations

import torch
from torch import nn

from phase4_distributed.dist import DistContext, init_distributed, print0
from phase4_distributed.planner import GIB, ModelShape, plan_memory, recommend

STRATEGIES = ("single", "ddp", "zero1", "fsdp")


def choose_strategy(model: nn.Module, ctx: DistContext, micro_batch: int, block_size: int,
                    dtype: str = "bf16") -> str:
    """'auto': the simplest strategy that fits this GPU (CPU: ddp, the planner has no memory figure)."""
    if not ctx.is_distributed:
        return "single"
    if ctx.device.type != "cuda":
        return "ddp"
    cfg = model.config
    block = sum(p.numel() for p in model.transformer.h[0].parameters())
    shape = ModelShape(sum(p.numel() for p in model.parameters()), cfg.n_layer, cfg.n_embd, cfg.vocab_size, block)
    gpu = torch.cuda.get_device_properties(ctx.device).total_memory
    return recommend(plan_memory(shape, micro_batch, block_size, ctx.world_size, gpu, dtype)) or "fsdp"


def wrap_model(model: nn.Module, strategy: str, ctx: DistContext, compile: bool = False,
               param_dtype: torch.dtype | None = None) -> nn.Module:
    """The module to train with: `model` wrapped for `strategy` (optimizer: build it on `model` AFTERWARDS
    for fsdp, whose parameters become shards; any time for the others)."""
    if strategy not in STRATEGIES:
        raise ValueError(f"strategy={strategy!r}: choose one of {', '.join(STRATEGIES)} (or 'auto')")
    if strategy != "single" and not ctx.is_distributed:
        strategy = "single"  # one process: nothing to shard or synchronise
    if strategy == "single" and ctx.is_distributed:
        raise ValueError("strategy='single' under torchrun with several processes would train unsynchronised "
                         "copies: use ddp, zero1 or fsdp")
    if strategy == "fsdp":
        from phase4_distributed.fsdp import apply_fsdp
        model = apply_fsdp(model, param_dtype=param_dtype)
        return torch.compile(model) if compile else model
    if compile:
        model = torch.compile(model)
    if strategy in ("ddp", "zero1"):
        from phase4_distributed.ddp import wrap_ddp
        model = wrap_ddp(model, ctx)
    return model


def zero_adamw(model: nn.Module, cfg):
    """phase 2's optimizer hook for ZeRO-1: `--optimizer=phase4_distributed.strategy:zero_adamw`."""
    from phase2_training.optimizer import param_groups
    from phase4_distributed.zero import ZeroAdamW
    return ZeroAdamW(param_groups(model, cfg.weight_decay), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=1e-8)


def trainer_hooks(strategy: str = "auto", compile: bool = False, dtype: str = "fp32", micro_batch: int = 1,
                  block_size: int = 1) -> tuple[DistContext, dict]:
    """Join torchrun's process group; return (ctx, keyword arguments for phase2's Trainer)."""
    ctx = init_distributed()
    param_dtype = torch.bfloat16 if dtype == "bf16" and ctx.device.type == "cuda" else None

    def wrap(model: nn.Module) -> nn.Module:
        wanted = "auto" if strategy == "single" and ctx.is_distributed else strategy  # torchrun overrides "single"
        chosen = wanted if wanted != "auto" else choose_strategy(model, ctx, micro_batch, block_size, dtype)
        print0(f"rank 0 of {ctx.world_size} ({ctx.backend or 'no process group'}), strategy {chosen}"
               f"{', compiled' if compile else ''}")
        return wrap_model(model, chosen, ctx, compile=compile, param_dtype=param_dtype)

    return ctx, {"rank": ctx.rank, "world_size": ctx.world_size, "wrap_model": wrap, "log": print0}


def memory_table(config, micro_batch: int, block_size: int, world_size: int, gpu_gib: float = 80.0,
                 dtype: str = "bf16") -> str:
    """The planner's table for a GPTConfig, built on the meta device (no memory used)."""
    from phase4_distributed.planner import format_plan
    shape = ModelShape.from_config(config)
    plans = plan_memory(shape, micro_batch, block_size, world_size, gpu_gib * GIB, dtype)
    return format_plan(shape, plans, micro_batch, block_size, world_size, gpu_gib * GIB)
