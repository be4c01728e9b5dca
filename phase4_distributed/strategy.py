"""Commit 4.3 — strategies that do what they say: choose one, wrap the model, build its optimizer.

The strategies, simplest first (ADR 016):

    single  one process, nothing to wrap
    ddp     DistributedDataParallel: full replicas, gradients all-reduced (ddp.py)
    zero1   DDP + ZeroAdamW: the optimizer state sharded (zero.py); nothing else to pass
    fsdp    FSDP2: parameters, gradients and optimizer state sharded (fsdp.py)
    auto    the first of those the memory planner says fits this GPU (planner.py)

`choose_strategy` says which one runs and why, and phase 4's entry logs that line: a
single process runs "single" whatever was asked (there is nothing to synchronise), and
"auto" names what the planner picked.

The order of wrappers matters. torch.compile goes inside DDP (as nanoGPT does), so DDP's
hooks still see every parameter. Under FSDP the model is compiled in its three parts BEFORE
it is sharded (`compile_parts`, after torchtitan's per-block compile): the stem (`_embed`),
each transformer block, and the head (`GPT.head`: final norm, lm_head, soft-cap, loss).
fully_shard's hooks then sit outside compiled code, so no graph breaks on them. Compiling
the sharded root as one graph does not work: Dynamo gives up on the root frame at FSDP2's
hooks (they are marked torch._dynamo.disable; measured on torch 2.13, CPU, gloo), which is
why GPT.forward calls the head as a method of its own.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn

from phase3_optim.param_groups import param_groups
from phase3_optim.precision import LossScaler
from phase4_distributed.dist import DistContext
from phase4_distributed.planner import GIB, ModelShape, format_plan, plan_memory, recommend
from phase4_distributed.planner import STRATEGIES as PLANNED
from phase4_distributed.zero import ZeroAdamW

STRATEGIES = (*PLANNED, "auto")  # what the planner sizes, plus "let the planner choose"


def choose_strategy(requested: str, model: nn.Module, ctx: DistContext, micro_batch: int, block_size: int,
                    dtype: str = "bf16") -> tuple[str, str]:
    """(strategy that will run, why). One process -> "single"; "auto" -> the planner's choice on a GPU
    (the simplest strategy that fits), "ddp" on CPUs (no memory figure to plan with)."""
    if requested not in STRATEGIES:
        raise ValueError(f"strategy={requested!r}: choose one of {', '.join(STRATEGIES)}")
    if not ctx.is_distributed:
        return "single", "one process" + (f" (strategy={requested} needs torchrun with several processes)"
                                          if requested not in ("single", "auto") else "")
    if requested == "single":
        raise ValueError("strategy='single' under torchrun with several processes would train unsynchronised "
                         "copies: use ddp, zero1, fsdp or auto")
    if requested != "auto":
        return requested, "as asked"
    if ctx.device.type != "cuda":
        return "ddp", "auto: no GPU memory to plan with, DDP"
    shape = ModelShape.from_config(model.config)
    gpu = torch.cuda.get_device_properties(ctx.device).total_memory
    chosen = recommend(plan_memory(shape, micro_batch, block_size, ctx.world_size, gpu, dtype)) or "fsdp"
    return chosen, f"auto: the memory planner's choice for {gpu / GIB:.0f} GiB per GPU"


def compile_parts(model: nn.Module, **compile_kwargs) -> nn.Module:
    """Compile the whole forward in parts, in place: the stem (embedding and positions), every
    transformer block (nn.Module.compile), and the head (norm, lm_head, soft-cap, loss). FSDP can
    then shard the model and its hooks run between compiled graphs, never inside one."""
    model._embed = torch.compile(model._embed, **compile_kwargs)  # bound methods: the instance
    model.head = torch.compile(model.head, **compile_kwargs)      # attribute shadows the class's
    for block in model.transformer.h:
        block.compile(**compile_kwargs)
    return model


def wrap_model(model: nn.Module, strategy: str, ctx: DistContext, compile: bool = False,
               param_dtype: torch.dtype | None = None) -> nn.Module:
    """The module to train with: `model` wrapped for `strategy` ("auto" already resolved). Build the
    optimizer on `model` AFTERWARDS for fsdp, whose parameters become shards; any time for the others."""
    if strategy == "fsdp":
        from phase4_distributed.fsdp import apply_fsdp
        if compile:
            compile_parts(model)  # before sharding: stem, blocks, head compiled; FSDP's hooks between them
        return apply_fsdp(model, param_dtype=param_dtype)
    if compile:
        model = torch.compile(model)
    if strategy in ("ddp", "zero1"):
        from phase4_distributed.ddp import wrap_ddp
        model = wrap_ddp(model, ctx)
    return model


def zero1_optimizer(model: nn.Module, cfg) -> ZeroAdamW:
    """AdamW with its state sharded across ranks, over phase 3's parameter groups (the same groups as
    phase 3's AdamW, so a checkpoint moves between zero1, ddp and a single process)."""
    if cfg.optimizer != "adamw":
        raise ValueError(f"strategy=zero1 shards AdamW's state; optimizer={cfg.optimizer!r} has no ZeRO "
                         "version here: use --optimizer=adamw, or --strategy=ddp|fsdp")
    return ZeroAdamW(param_groups(model, cfg.weight_decay, cfg.lr), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2),
                     eps=1e-8, weight_decay=cfg.weight_decay)


class DistributedLossScaler(LossScaler):
    """Phase 3's fp16 loss scaler whose "found inf" is agreed by every rank (one all_reduce of one flag).

    Under FSDP or ZeRO each rank sees only its shard of the gradients; if one rank skipped the step
    and another took it, the replicas would silently diverge. One MAX all_reduce per step makes the
    decision global (and replaces per-tensor host syncs by one)."""

    def unscale_(self, optimizer) -> bool:
        found = super().unscale_(optimizer)
        if dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1:
            device = next((p.grad.device for g in optimizer.param_groups for p in g["params"]
                           if p.grad is not None), torch.device("cpu"))
            if dist.get_backend() == "gloo":
                device = torch.device("cpu")
            flag = torch.tensor([float(found)], device=device)
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)
            found = bool(flag.item())
            self._found_inf[id(optimizer)] = found
        return found


def memory_table(config, micro_batch: int, block_size: int, world_size: int, gpu_gib: float = 80.0,
                 dtype: str = "bf16") -> str:
    """The planner's table for a GPTConfig, built on the meta device (no memory used)."""
    shape = ModelShape.from_config(config)
    plans = plan_memory(shape, micro_batch, block_size, world_size, gpu_gib * GIB, dtype)
    return format_plan(shape, plans, micro_batch, block_size, world_size, gpu_gib * GIB)
