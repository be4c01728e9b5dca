"""Commit 4.2 — checkpoints under DDP, ZeRO-1 and FSDP: gather to one full state, scatter it back.

There is one checkpoint format in the course (phase 2's, ADR 012: phase 1's
{model_config, model} plus the training state), one loader and one writer (rank 0,
atomically). Phase 4 adds no file of its own: it supplies the two functions that turn
a sharded model and optimizer into those full, plain dicts, and the one that puts a
full dict back into a sharded run (ADR 018):

    strategy   model weights              optimizer state        model_state / optimizer_state
    single     all of it                  all of it              plain state_dict()
    DDP        identical on every rank    identical everywhere   the inner module's state_dict()
    ZeRO-1     identical on every rank    1/W per rank           all_gather the moments (collective)
    FSDP       1/W per rank (DTensors)    1/W per rank           gather full tensors (collective)

Gathered states are written in torch.optim.AdamW's own layout ({"state": {i: {step, exp_avg,
exp_avg_sq}}, "param_groups": [...]}) whatever the strategy, so a checkpoint resumes under
any strategy and any number of processes: ZeRO-1 on 2 ranks -> 1 process, 4 ranks -> 2.
The price of gathering is one full copy of the state in rank 0's CPU memory at save time;
torch.distributed.checkpoint (sharded files) is the tool when that no longer fits.
"""

from __future__ import annotations

import torch
from torch import nn

from phase2_training.checkpoint import StateDictFns
from phase4_distributed.ddp import unwrap
from phase4_distributed.zero import ZeroAdamW


def is_fsdp(model: nn.Module) -> bool:
    """True when the model's parameters are FSDP2 DTensor shards."""
    return any(type(p).__name__ == "DTensor" for p in model.parameters())


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


def _groups_without_params(optimizer) -> list[tuple[dict, list[int]]]:
    out, index = [], 0
    for g in optimizer.param_groups:
        ids = list(range(index, index + len(g["params"])))
        index += len(g["params"])
        out.append(({k: v for k, v in g.items() if k != "params"}, ids))
    return out


def zero_to_full(optimizer: ZeroAdamW) -> dict:
    """ZeroAdamW's sharded moments as ONE torch.optim.AdamW-layout state dict (a collective)."""
    flat = optimizer.full_state_dict()  # every rank receives the gathered moments
    state, offset = {}, 0
    for i, p in enumerate(optimizer.params):
        n = p.numel()
        state[i] = {"step": flat["step"],  # an int: phase 3's AdamW keeps one; torch's converts it
                    "exp_avg": flat["exp_avg"][offset:offset + n].view_as(p).clone(),
                    "exp_avg_sq": flat["exp_avg_sq"][offset:offset + n].view_as(p).clone()}
        offset += n
    return {"state": state, "param_groups": [{**g, "params": ids} for g, ids in _groups_without_params(optimizer)]}


def full_to_zero(optimizer: ZeroAdamW, full: dict) -> None:
    """Load an AdamW-layout state (saved by any strategy, any world size) into this rank's ZeRO shard."""
    if len(full["param_groups"]) != len(optimizer.param_groups):
        raise ValueError(f"the checkpoint's optimizer has {len(full['param_groups'])} param groups, this one "
                         f"{len(optimizer.param_groups)}: resume with the optimizer it was trained with")
    moments = {"exp_avg": [], "exp_avg_sq": []}
    step = 0
    for i, p in enumerate(optimizer.params):
        s = full["state"].get(i) or full["state"].get(str(i))
        if s is None:  # a parameter that never had a gradient: zero moments
            s = {"exp_avg": torch.zeros_like(p), "exp_avg_sq": torch.zeros_like(p), "step": 0}
        step = max(step, int(s["step"]))
        for name in moments:
            moments[name].append(s[name].reshape(-1).float().cpu())
    flat = {name: torch.cat(parts) for name, parts in moments.items()}
    optimizer.load_full_state_dict({"step": step, **flat, "numel": optimizer.numel,
                                    "lr": [g["lr"] for g in full["param_groups"]]})
    for group, saved in zip(optimizer.param_groups, full["param_groups"]):  # lr, initial_lr, betas, ...
        group.update({k: v for k, v in saved.items() if k != "params"})


def optimizer_state_dict(model: nn.Module, optimizer) -> dict:
    """The optimizer state in full, AdamW layout, resumable on any world size; a collective under
    ZeRO-1 and FSDP (every rank calls it)."""
    if isinstance(optimizer, ZeroAdamW):
        return zero_to_full(optimizer)
    if is_fsdp(model):
        from torch.distributed.checkpoint.state_dict import get_optimizer_state_dict
        return get_optimizer_state_dict(model, optimizer, options=_state_dict_options())
    return optimizer.state_dict()


def load_state(model: nn.Module, optimizer, model_state: dict, optimizer_state: dict | None) -> None:
    """Load full (gathered) model and optimizer states into a model wrapped for any strategy.
    The states may sit on the CPU (phase 2 loads every checkpoint there): each load moves them."""
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
    from phase1_model import load_weights
    load_weights(unwrap(model), model_state)
    if optimizer is not None and optimizer_state is not None:
        if isinstance(optimizer, ZeroAdamW):
            full_to_zero(optimizer, optimizer_state)
        else:  # saved by another optimizer class (ZeroAdamW -> AdamW): keep this one's own group keys too
            groups = [{**{k: v for k, v in live.items() if k != "params"}, **saved}
                      for live, saved in zip(optimizer.param_groups, optimizer_state["param_groups"])]
            optimizer.load_state_dict({**optimizer_state, "param_groups": groups})


# What phase 4's entry hands the Trainer: gather on save, scatter on resume.
DISTRIBUTED_STATE = StateDictFns(model_state=model_state_dict, optimizer_state=optimizer_state_dict, load=load_state)
