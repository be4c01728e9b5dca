"""Commit 4.2 — ZeRO stage 1: AdamW with its state sharded across ranks.

Under DDP every rank keeps a full copy of everything: parameters (4 bytes each in
fp32), gradients (4) and AdamW's two moments (8). The optimizer state is the biggest
piece, and it is pure redundancy: every rank computes the very same update. ZeRO
(Rajbhandari et al., 2020) removes it in stages; stage 1 ("P_os") shards the optimizer
state. Picture all parameters laid end to end as one flat vector of N numbers, cut into
W equal shards; rank r owns shard r:

    1. (DDP) all_reduce the gradients: every rank holds the full averaged gradient
    2. rank r runs AdamW on ITS shard only: m, v exist for N/W numbers, not N
    3. all_gather the updated shards: every rank holds the full new parameters again

Memory for the optimizer state drops from 8N to 8N/W bytes per rank (Figure 1 of the
paper: (2 + 2 + K)Ψ -> 4Ψ + KΨ/N_d with K = 12 in their mixed-precision accounting).
The price is step 3, an all-gather of N numbers. The paper pairs stage 1 with a
reduce-scatter instead of the all-reduce of step 1, so the traffic stays that of plain
DDP (2N); reusing DDP as we do costs 3N but keeps this file short (ADR 016).

The update is the same math as torch.optim.AdamW (decoupled weight decay, Loshchilov &
Hutter 2019), so the test compares ZeroAdamW on W ranks with AdamW in one process.
"""

from __future__ import annotations

import math

import torch
import torch.distributed as dist

# torch 2.13 renamed all_gather_into_tensor -> all_gather_single; accept either (torch >= 2.4).
_all_gather = getattr(dist, "all_gather_single", None) or dist.all_gather_into_tensor


class ZeroAdamW:
    """AdamW over `params` whose moments live only on the rank that owns each slice of the flat vector.

    params: an iterable of parameters, or of param-group dicts {"params": [...], "lr": ..., "weight_decay": ...}
    like torch.optim. Use under DDP (gradients already averaged) or any setup where every rank
    holds the full averaged gradient before step().
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01, process_group=None):
        groups = list(params)
        if groups and not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
        self.param_groups = [{**defaults, **g, "params": list(g["params"])} for g in groups]
        self.group = process_group
        self.rank = dist.get_rank(process_group) if dist.is_initialized() else 0
        self.world_size = dist.get_world_size(process_group) if dist.is_initialized() else 1
        self.params = [p for g in self.param_groups for p in g["params"]]
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError("a parameter appears twice in ZeroAdamW's params (tied weights? pass them once)")
        for p in self.params:
            if not p.is_contiguous():
                raise ValueError("ZeroAdamW slices parameters as flat views: call .contiguous() on every parameter")
        self.numel = sum(p.numel() for p in self.params)
        self.shard_size = math.ceil(self.numel / self.world_size)  # the last shard is padded
        lo, hi = self.rank * self.shard_size, min((self.rank + 1) * self.shard_size, self.numel)
        # pieces: (param, group, a, b, off) for every parameter slice [a, b) that falls in this
        # rank's range [lo, hi) of the flat vector; off is where that slice sits inside the shard.
        self.pieces, offset = [], 0
        for g in self.param_groups:
            for p in g["params"]:
                a, b = max(lo, offset), min(hi, offset + p.numel())
                if a < b:
                    self.pieces.append((p, g, a - offset, b - offset, a - lo))
                offset += p.numel()
        ref = self.params[0] if self.params else torch.zeros(())
        # Adam's moments in fp32, for this rank's shard only: the whole point of ZeRO-1.
        self.exp_avg = torch.zeros(self.shard_size, dtype=torch.float32, device=ref.device)
        self.exp_avg_sq = torch.zeros(self.shard_size, dtype=torch.float32, device=ref.device)
        self.steps = 0

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.params:
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    @torch.no_grad()
    def step(self) -> None:
        self.steps += 1
        adamw_update_shard(self.pieces, self.exp_avg, self.exp_avg_sq, self.steps)
        all_gather_params(self.params, self.pieces, self.shard_size, self.world_size, self.group)

    # ---- memory and checkpoints ---------------------------------------------------------------
    def state_bytes(self) -> int:
        """Bytes of optimizer state held by THIS rank (the quantity ZeRO-1 divides by W)."""
        return self.exp_avg.nbytes + self.exp_avg_sq.nbytes

    def state_dict(self) -> dict:
        """This rank's shard of the state: saved one file per rank (see checkpoint.py)."""
        return {"step": self.steps, "exp_avg": self.exp_avg.clone(), "exp_avg_sq": self.exp_avg_sq.clone(),
                "rank": self.rank, "world_size": self.world_size, "numel": self.numel,
                "lr": [g["lr"] for g in self.param_groups]}

    def load_state_dict(self, state: dict) -> None:
        if (state["world_size"], state["rank"], state["numel"]) != (self.world_size, self.rank, self.numel):
            raise ValueError(f"this ZeRO shard was saved by rank {state['rank']} of {state['world_size']} for "
                             f"{state['numel']} parameters, but this is rank {self.rank} of {self.world_size} "
                             f"with {self.numel}: resume with the same number of processes and model")
        self.steps = state["step"]
        self.exp_avg.copy_(state["exp_avg"])
        self.exp_avg_sq.copy_(state["exp_avg_sq"])
        for g, lr in zip(self.param_groups, state["lr"]):
            g["lr"] = lr

    def full_state_dict(self) -> dict:
        """The moments of ALL parameters, gathered (a collective: every rank calls it; every rank gets it).
        Resumable on any number of processes; costs the 8N bytes ZeRO saves, once, at save time."""
        full = {}
        for name in ("exp_avg", "exp_avg_sq"):
            shard = getattr(self, name)
            out = torch.empty(self.world_size * self.shard_size, dtype=shard.dtype, device=shard.device)
            if self.world_size > 1:
                _all_gather(out, shard, group=self.group)
            else:
                out.copy_(shard)
            full[name] = out[:self.numel].cpu()
        return {"step": self.steps, **full, "numel": self.numel, "lr": [g["lr"] for g in self.param_groups],
                "gathered": True}

    def load_full_state_dict(self, state: dict) -> None:
        """Take this rank's slice of a gathered state (saved with any world size)."""
        if state["numel"] != self.numel:
            raise ValueError(f"optimizer state for {state['numel']} parameters, this model has {self.numel}")
        lo, hi = self.rank * self.shard_size, min((self.rank + 1) * self.shard_size, self.numel)
        self.steps = state["step"]
        for name in ("exp_avg", "exp_avg_sq"):
            getattr(self, name).zero_()[:hi - lo].copy_(state[name][lo:hi])
        for g, lr in zip(self.param_groups, state["lr"]):
            g["lr"] = lr


@torch.no_grad()
def adamw_update_shard(pieces: list, exp_avg: torch.Tensor, exp_avg_sq: torch.Tensor, t: int) -> None:
    """AdamW step `t` on the parameter slices this rank owns (the same math as torch.optim.AdamW).

    pieces: (param, group, a, b, off): elements [a, b) of param.view(-1) are this rank's, and their
    moments are exp_avg[off : off + b - a] (and the same slice of exp_avg_sq). With the group's
    lr, betas (b1, b2), eps and weight_decay wd, on those slices only (a param whose .grad is None
    is skipped entirely, weight decay included, as torch.optim.AdamW does; nothing outside [a, b)
    changes):

        w <- w * (1 - lr * wd)
        m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
        w <- w - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """
    # >>> exercise 4.2 zero_update_shard
    for p, group, a, b, off in pieces:
        if p.grad is None:
            continue
        lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
        w, g = p.view(-1)[a:b], p.grad.view(-1)[a:b].float()
        m, v = exp_avg[off:off + b - a], exp_avg_sq[off:off + b - a]
        w.mul_(1 - lr * wd)  # decoupled weight decay, applied before the Adam step as torch does
        m.lerp_(g, 1 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        denom = (v.sqrt() / math.sqrt(1 - beta2 ** t)).add_(eps)
        w.addcdiv_(m.to(w.dtype), denom.to(w.dtype), value=-lr / (1 - beta1 ** t))
    # <<< exercise 4.2 zero_update_shard


@torch.no_grad()
def all_gather_params(params: list, pieces: list, shard_size: int, world_size: int, group=None) -> None:
    """Every rank sends its updated shard and receives all the others: full parameters everywhere.

    Rank r owns elements [r * shard_size, (r + 1) * shard_size) of the flat vector of `params` laid
    end to end (the last shard padded); `pieces` are this rank's slices, as in adamw_update_shard.
    Afterwards every element of every param holds its owner's value, on every rank.
    """
    if world_size == 1:
        return
    # >>> exercise 4.2 zero_all_gather
    dtype, device = params[0].dtype, params[0].device
    shard = torch.zeros(shard_size, dtype=dtype, device=device)
    for p, _, a, b, off in pieces:
        shard[off:off + b - a] = p.view(-1)[a:b]
    full = torch.empty(world_size * shard_size, dtype=dtype, device=device)
    _all_gather(full, shard, group=group)
    offset = 0
    for p in params:
        p.view(-1).copy_(full[offset:offset + p.numel()])
        offset += p.numel()
    # <<< exercise 4.2 zero_all_gather
