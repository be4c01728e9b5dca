"""Commit 4.2 — checkpoints under DDP, ZeRO-1 and FSDP: who writes what.

The rule (ADR 018): rank 0 owns the files. What it must gather first depends on how
much of the state it holds:

    strategy   model weights              optimizer state
    single     all of it                  all of it              -> rank 0 writes one file
    DDP        identical on every rank    identical everywhere   -> rank 0 writes one file
    ZeRO-1     identical on every rank    1/W per rank           -> rank 0 writes the model file;
                                                                    EVERY rank writes its own shard
    FSDP       1/W per rank (DTensors)    1/W per rank           -> gathered to full tensors
                                                                    (a collective), rank 0 writes

ZeRO-1 shards are saved per rank rather than gathered: gathering would need the full
8N bytes of Adam state on rank 0, the very memory ZeRO saves; the price is that a resume
needs the same number of processes (load_state_dict says so). FSDP's full gather keeps
the checkpoint readable by a single process (sampling, evaluation) at the cost of one
full copy in rank 0's CPU memory; torch.distributed.checkpoint (sharded files) is the
tool when that copy no longer fits.

Files are written atomically (temporary file + os.replace, ADR 012), then every rank
waits at a barrier so nobody reads a half-written checkpoint or exits before it is saved.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from phase4_distributed.ddp import unwrap
from phase4_distributed.dist import atomic_save, barrier, get_rank, get_world_size, is_rank0
from phase4_distributed.zero import ZeroAdamW


def is_fsdp(model: nn.Module) -> bool:
    """True when the model's parameters are FSDP2 DTensor shards."""
    return any(type(p).__name__ == "DTensor" for p in model.parameters())


def shard_path(path: str | Path, rank: int, world_size: int) -> Path:
    """Where rank `rank` keeps its ZeRO shard of the optimizer state next to the model file."""
    path = Path(path)
    return path.with_name(f"{path.stem}.optim-rank{rank}-of-{world_size}{path.suffix}")


def _state_dict_options():
    from torch.distributed.checkpoint.state_dict import StateDictOptions
    return StateDictOptions(full_state_dict=True, cpu_offload=True)


def model_state_dict(model: nn.Module) -> dict:
    """Full, unsharded weights on the CPU. Under FSDP a collective that every rank must call, and only
    rank 0 (the writer) receives the weights; the other ranks get {} and spend no memory on a copy."""
    if is_fsdp(model):
        from torch.distributed.checkpoint.state_dict import get_model_state_dict
        return get_model_state_dict(model, options=_state_dict_options())
    return {k: v.detach().cpu() for k, v in unwrap(model).state_dict().items()}


def optimizer_state_dict(model: nn.Module, optimizer) -> dict:
    """The optimizer state in full, resumable on any world size; a collective under ZeRO-1 and FSDP.
    (The gathered alternative to save_checkpoint's per-rank shards; what phase 2's trainer saves.)"""
    if isinstance(optimizer, ZeroAdamW):
        return optimizer.full_state_dict()
    if is_fsdp(model):
        from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict
        return get_optimizer_state_dict(model, optimizer, options=_state_dict_options())
    return optimizer.state_dict()


def load_state(model: nn.Module, optimizer, model_state: dict, optimizer_state: dict | None) -> None:
    """Load full (gathered) model and optimizer states into a model wrapped for any strategy."""
    if is_fsdp(model):
        from torch.distributed.checkpoint.state_dict import set_model_state_dict, set_optimizer_state_dict
        set_model_state_dict(model, model_state, options=_state_dict_options())
        if optimizer is not None and optimizer_state is not None:
            # keys a schedule added to the saved groups (phase 2's "initial_lr") must exist here too
            for group, saved in zip(optimizer.param_groups, optimizer_state["param_groups"]):
                for key, value in saved.items():
                    group.setdefault(key, value)
            set_optimizer_state_dict(model, optimizer, optimizer_state, options=_state_dict_options())
        return
    unwrap(model).load_state_dict(model_state)
    if optimizer is not None and optimizer_state is not None:
        if isinstance(optimizer, ZeroAdamW):
            optimizer.load_full_state_dict(optimizer_state)
        else:
            optimizer.load_state_dict(optimizer_state)


def save_checkpoint(path: str | Path, model: nn.Module, optimizer=None, step: int = 0, **extra) -> Path:
    """Save model (+ optimizer) at `step`; call on EVERY rank. Extra keyword values go into rank 0's file."""
    path = Path(path)
    weights = model_state_dict(model)
    optim_state = None
    if isinstance(optimizer, ZeroAdamW):
        atomic_save(optimizer.state_dict(), shard_path(path, get_rank(), get_world_size()))  # every rank: its shard
    elif optimizer is not None and is_fsdp(model):
        from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict
        optim_state = get_optimizer_state_dict(model, optimizer, options=_state_dict_options())  # collective
    elif optimizer is not None:
        optim_state = optimizer.state_dict()  # identical on every rank under DDP: rank 0's copy is enough
    if is_rank0():
        atomic_save({"model": weights, "optimizer": optim_state, "step": step, "world_size": get_world_size(),
                     "zero_shards": isinstance(optimizer, ZeroAdamW), **extra}, path)
    barrier()  # the files exist before anyone goes on (to read them, or to exit)
    return path


def load_checkpoint(path: str | Path, model: nn.Module, optimizer=None, map_location="cpu") -> dict:
    """Restore what save_checkpoint wrote into `model` (and `optimizer`); call on every rank. Returns the dict."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {path}: check the path, or start without resuming")
    ckpt = torch.load(path, map_location=map_location, weights_only=False)
    if is_fsdp(model):
        from torch.distributed.checkpoint.state_dict import set_model_state_dict, set_optimizer_state_dict
        set_model_state_dict(model, ckpt["model"], options=_state_dict_options())
        if optimizer is not None and ckpt["optimizer"] is not None:
            set_optimizer_state_dict(model, optimizer, ckpt["optimizer"], options=_state_dict_options())
        return ckpt
    unwrap(model).load_state_dict(ckpt["model"])
    if isinstance(optimizer, ZeroAdamW):
        if not ckpt.get("zero_shards"):
            raise ValueError(f"{path} holds an unsharded optimizer state; build a regular optimizer to resume it")
        shard = shard_path(path, get_rank(), get_world_size())
        if not shard.exists():
            raise FileNotFoundError(f"no ZeRO shard {shard.name}: this checkpoint was written by "
                                    f"{ckpt['world_size']} processes; resume with --nproc_per_node="
                                    f"{ckpt['world_size']}")
        optimizer.load_state_dict(torch.load(shard, map_location=map_location, weights_only=False))
    elif optimizer is not None:
        if ckpt.get("zero_shards"):
            raise ValueError(f"{path} keeps its optimizer state in per-rank ZeRO shards: resume with ZeroAdamW "
                             f"on {ckpt['world_size']} processes")
        optimizer.load_state_dict(ckpt["optimizer"])
    return ckpt
