# Learner stub GENERATED from phase3_optim/muon.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""Muon: momentum, then orthogonalize the update with Newton-Schulz (commit 3.2).

What this adds over adam.py: an optimizer that treats a weight matrix as a
matrix. For a 2-D hidden weight W (out, in) with gradient G, Muon (Jordan et al.
2024, kellerjordan.github.io/posts/muon) does

    B_t = mu * B_{t-1} + (1 - mu) * G_t              momentum (an EMA, torch.lerp)
    U_t = (1 - mu) * G_t + mu * B_t   (Nesterov)  or  B_t
    O_t = NS_5(U_t) ~ U V^T   where U_t = U S V^T     orthogonalize: every singular value -> ~1
    W_t = W_{t-1} * (1 - lr * wd) - lr * scale(shape) * O_t

Why orthogonalize: the momentum of a transformer's matrix is nearly low rank, a
few directions dominate; replacing S by ~I boosts the rare directions so every
direction of the matrix learns at a similar rate. Computing U V^T with an SVD is
slow, so Muon runs 5 steps of a quintic Newton-Schulz iteration X <- a X +
b (X X^T) X + c (X X^T)^2 X after scaling X to spectral norm <= 1 (Frobenius
norm >= spectral norm, so dividing by it is enough). On each singular value s
this applies p(s) = a s + b s^3 + c s^5. (a, b, c) = (3.4445, -4.7750, 2.0315)
makes the slope at zero large (p'(0) = a), so tiny singular values grow fast,
while keeping p on [0, 1] inside a band around 1: after 5 steps the singular
values land in ~[0.7, 1.2] rather than exactly 1, which training does not mind.
Without the normalization, s > 1 explodes (p(s) ~ c s^5 each step).

Shape-aware LR: the RMS of O depends on its shape. "original" (Jordan et al.)
scales by sqrt(max(1, out/in)); "match_rms_adamw" (Liu et al. 2025, arXiv:2502.16982,
"Muon is Scalable for LLM Training") scales by 0.2 * sqrt(max(out, in)) so the
update's RMS matches AdamW's (~0.2): Muon can then reuse AdamW's lr and weight decay.

Muon is only for hidden matrices; embeddings, the head and vectors use AdamW
(ADR 014). `MuonAdamW` holds both kinds of group in ONE optimizer object, so a
trainer, an LR schedule and a checkpoint see a single `optimizer`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch

from phase3_optim.adam import adam_path, adam_step
from phase3_optim.fused import compiled_or_eager, resolve_fused
from phase3_optim.sgd import GroupStepOptimizer

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # Jordan et al. 2024; the same as torch.optim.Muon
LR_ADJUSTMENTS = ("original", "match_rms_adamw", "none")


def default_ns_dtype(device: torch.device) -> torch.dtype:
    """bf16 on accelerators (tensor cores, and NS tolerates it); float32 on CPU, where bf16 matmuls are slow."""
    return torch.float32 if device.type == "cpu" else torch.bfloat16


def newton_schulz(G: torch.Tensor, steps: int = 5, coefficients: tuple[float, float, float] = NS_COEFFICIENTS,
                  eps: float = 1e-7, dtype: torch.dtype | None = None) -> torch.Tensor:
    """Approximately orthogonalize G (..., m, n): return ~U V^T of its SVD, in `dtype` (default: G's).

    Contract (tested):
    - output: same shape as G, dtype `dtype` (or G's dtype when None); a batch (leading dims) is the same
      as each matrix on its own;
    - value: `steps` quintic steps X <- a X + (b A + c A^2) X, A = X X^T, with (a, b, c) = `coefficients`,
      starting from X = G / ||G||_F (Frobenius norm over the last two dims; `eps` only keeps a zero
      matrix from dividing by zero). In float64 it must equal the closed form U p^(steps)(S / ||G||_F) V^T,
      p(s) = a s + b s^3 + c s^5, to 1e-9: any op order passes (addmm or b*A + c*A@A, ...);
    - cost: for a tall G (m > n) work on its transpose, so the Gram matrix is the small (n, n) one; no
      intermediate may have more than m * n entries per matrix;
    - a G with fewer than 2 dims raises ValueError."""
    if G.ndim < 2:
        raise ValueError(f"newton_schulz needs a matrix (or a batch of them), got shape {tuple(G.shape)}")
    # >>> exercise 3.2 newton_schulz
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=3.2:newton_schulz
    raise NotImplementedError("exercise 3.2 newton_schulz")
    # <<< exercise 3.2 newton_schulz


def adjusted_lr(lr: float, shape: torch.Size, adjust_lr_fn: str) -> float:
    """The lr for a Muon update of a matrix of `shape` (out, in); see the module docstring."""
    A, B = shape[-2], shape[-1]
    if adjust_lr_fn == "original":
        return lr * math.sqrt(max(1.0, A / B))
    if adjust_lr_fn == "match_rms_adamw":
        return lr * 0.2 * math.sqrt(max(A, B))
    if adjust_lr_fn == "none":
        return lr
    raise ValueError(f"adjust_lr_fn={adjust_lr_fn!r}: use one of {LR_ADJUSTMENTS}")


def muon_update(params: list[torch.Tensor], grads: list[torch.Tensor], bufs: list[torch.Tensor], lr: float,
                momentum: float, nesterov: bool, weight_decay: float, adjust_lr_fn: str,
                orthogonalize: Callable[[list[torch.Tensor]], list[torch.Tensor]]) -> None:
    """One Muon step on a list of 2-D parameters, in place (the equations of the module docstring).

    Contract (tested):
    - momentum: each buffer `bufs[i]` becomes momentum * buf + (1 - momentum) * grads[i], IN PLACE (the
      optimizer's state is that tensor object); `grads` are never modified;
    - direction: with Nesterov (1 - momentum) * grad + momentum * buf (the new buf), else buf itself;
    - orthogonalize: `orthogonalize(directions)` takes the list of every direction and returns the list of
      their Newton-Schulz images, in the same order (it batches same-shape matrices, so call it once with
      all of them; one call per matrix is correct, only slower);
    - update: decoupled weight decay with the UNSCALED lr, param *= 1 - lr * weight_decay, then
      param -= adjusted_lr(lr, param.shape, adjust_lr_fn) * O (the shape-aware lr).
    Checked against Muon written out line by line in float64 over 30 steps (atol 1e-9), and on closed
    forms with an identity `orthogonalize`."""
    # >>> exercise 3.2 muon_update
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=3.2:muon_update
    raise NotImplementedError("exercise 3.2 muon_update")
    # <<< exercise 3.2 muon_update


def muon_group_step(group: dict, state: dict) -> None:
    """One Muon step for every parameter of one group: muon_update, or its compiled parts (fused=True).
    Same-shape matrices are orthogonalized together as a batch on accelerators and when small (shape_buckets)."""
    params = [p for p in group["params"] if p.grad is not None]
    if not params:
        return
    for p in params:
        if p.grad.ndim != 2:
            raise ValueError(f"Muon got a parameter of shape {tuple(p.shape)}: it is for 2-D hidden matrices only; "
                             "give embeddings, the head, norms and biases to AdamW (build_optimizer does this)")
    dtype = group.get("ns_dtype") or default_ns_dtype(params[0].device)
    ns_args = (group["ns_steps"], tuple(group["ns_coefficients"]), group["eps"], dtype)
    bufs = []
    for p in params:
        st = state[p]
        if "momentum_buffer" not in st:
            st["momentum_buffer"] = torch.zeros_like(p.grad)
        bufs.append(st["momentum_buffer"])
    grads = [p.grad for p in params]
    lr, momentum, wd = group["lr"], group["momentum"], group["weight_decay"]

    def orthogonalize(directions: list[torch.Tensor], ns: Callable = newton_schulz) -> list[torch.Tensor]:
        """Every direction's NS image, in order, same-shape ones stacked (shape_buckets); any list will do."""
        return orthogonalize_buckets(directions, shape_buckets(directions, group.get("batched")), ns_args, ns)

    if not (resolve_fused(group.get("fused", False), params[0].device) and len({p.dtype for p in params}) == 1):
        muon_update(params, grads, bufs, lr, momentum, group["nesterov"], wd, group["adjust_lr_fn"],
                    orthogonalize)
        return
    # The compiled path (fused.py): muon_update in three compiled parts, each falling back to running eagerly.
    # The scalars are one table, row i = tensor i's (1 - momentum, momentum, 1 - lr * wd, -adjusted_lr), so a
    # new lr does not recompile. NS is compiled on its own, one graph per shape reused by every matrix of that
    # shape: a graph of the whole step unrolls every matrix's NS and took minutes to compile at 52M params.
    hyper = torch.tensor([[1 - momentum, momentum, 1 - lr * wd, -adjusted_lr(lr, p.shape, group["adjust_lr_fn"])]
                          for p in params], dtype=params[0].dtype)
    if params[0].device.type != "cpu":  # 0-d CPU tensors: read as scalars by a device kernel, no copy
        hyper = [list(row.unbind()) for row in hyper]
    directions = compiled_or_eager(muon_momentum, grads, bufs, hyper, group["nesterov"])
    ortho = orthogonalize(directions, lambda G, *a: compiled_or_eager(newton_schulz, G, *a))
    compiled_or_eager(muon_apply, params, ortho, hyper, wd != 0)


CPU_STACK_MAX_NUMEL = 2 ** 17  # on CPU, stack same-shape matrices only up to this size (see shape_buckets)


def shape_buckets(matrices: list[torch.Tensor], batched: bool | None) -> tuple[tuple[int, ...], ...]:
    """Indices of same-shape matrices, orthogonalized as one stacked batch (one batched matmul per NS step).
    Stacking pays on an accelerator (fewer, bigger kernels) and for small matrices (fewer calls), but on a
    CPU a batched bf16 matmul of big matrices was slower than one matmul per matrix (bench_optim, Muon step
    vs torch's: 0.92M params, matrices <= 65k entries: 0.82x stacked, 1.10x one by one; 52M params, >= 262k
    entries: 1.09x stacked, 0.83x one by one). batched=None: stack on accelerators, and on a CPU matrices of
    at most CPU_STACK_MAX_NUMEL entries; True / False: always / never."""
    by_shape: dict[tuple, list[int]] = {}
    for i, m in enumerate(matrices):
        by_shape.setdefault((tuple(m.shape), m.device), []).append(i)
    buckets = []
    for (shape, device), idx in by_shape.items():
        stack = batched if batched is not None else device.type != "cpu" or math.prod(shape) <= CPU_STACK_MAX_NUMEL
        buckets += [tuple(idx)] if stack else [(i,) for i in idx]
    return tuple(buckets)


def orthogonalize_buckets(updates: list[torch.Tensor], buckets: tuple[tuple[int, ...], ...], ns_args: tuple,
                          ns: Callable) -> list[torch.Tensor]:
    """ns(update, *ns_args) of every update, in order; a bucket of several indices is stacked into one batch."""
    ortho: list[torch.Tensor | None] = [None] * len(updates)
    for idx in buckets:
        if len(idx) == 1:
            ortho[idx[0]] = ns(updates[idx[0]], *ns_args)
        else:
            out = ns(torch.stack([updates[i] for i in idx]), *ns_args)
            for j, i in enumerate(idx):
                ortho[i] = out[j]
    return ortho


def muon_momentum(grads: list[torch.Tensor], bufs: list[torch.Tensor], hyper, nesterov: bool) -> list[torch.Tensor]:
    """muon_update's momentum with tensor scalars (row i of hyper: 1 - momentum, momentum, ...): the buffers
    in place, and the directions to orthogonalize."""
    directions = []
    for g, buf, (one_minus_momentum, momentum, _, _) in zip(grads, bufs, hyper):
        buf.lerp_(g, one_minus_momentum)
        directions.append(g.lerp(buf, momentum) if nesterov else buf)
    return directions


def muon_apply(params: list[torch.Tensor], ortho: list[torch.Tensor], hyper, has_decay: bool) -> None:
    """muon_update's last line with tensor scalars (row i of hyper: ..., 1 - lr * wd, -adjusted_lr)."""
    for p, o, (_, _, decay, neg_lr) in zip(params, ortho, hyper):
        if has_decay:
            p.mul_(decay)
        p.add_(o.to(p.dtype) * neg_lr)  # in p's dtype, as eager add_(o, alpha=...) computes it


MUON_DEFAULTS = dict(lr=0.02, momentum=0.95, nesterov=True, weight_decay=0.0, ns_steps=5,
                     ns_coefficients=NS_COEFFICIENTS, eps=1e-7, adjust_lr_fn="original", ns_dtype=None, batched=None,
                     fused=False)


def muon_path(group: dict) -> str:
    """How a Muon group runs on its parameters' device: NS dtype, compiled or not."""
    device = group["params"][0].device if group["params"] else torch.device("cpu")
    dtype = group.get("ns_dtype") or default_ns_dtype(device)
    compiled = "compiled" if resolve_fused(group.get("fused", False), device) else "eager"
    return f"NS {str(dtype).replace('torch.', '')} {compiled}"


class Muon(GroupStepOptimizer):
    """Muon for 2-D parameters only (like torch.optim.Muon). ns_dtype=None: float32 on CPU, bf16 elsewhere."""

    def __init__(self, params, **hyper):
        unknown = set(hyper) - set(MUON_DEFAULTS)
        if unknown:
            raise TypeError(f"Muon: unknown arguments {sorted(unknown)}; known: {sorted(MUON_DEFAULTS)}")
        super().__init__(params, {**MUON_DEFAULTS, **hyper})

    def group_step(self, group: dict) -> None:
        muon_group_step(group, self.state)

    def describe(self) -> str:
        return f"Muon (ours, {', '.join(sorted({muon_path(g) for g in self.param_groups}))})"


class MuonAdamW(GroupStepOptimizer):
    """One optimizer, two update rules: groups with use_muon=True get Muon, the others AdamW.

    Build it with `phase3_optim.build_optimizer(model, "muon", ...)`, which puts hidden matrices
    in Muon groups and embeddings, the head and vectors in AdamW groups (param_groups.py)."""

    def __init__(self, groups: list[dict]):
        if not any(g.get("use_muon") for g in groups):
            raise ValueError("MuonAdamW got no group with use_muon=True: the model has no hidden matrices?")
        adamw = dict(betas=(0.9, 0.95), eps=1e-8, weight_decay=0.0, decoupled=True, foreach=None, fused=False)
        filled = []
        for g in groups:
            base = {**MUON_DEFAULTS, "use_muon": True} if g.get("use_muon") else {**adamw, "use_muon": False}
            filled.append({**base, **g})
        super().__init__(filled, {})

    def step_groups(self, groups: list[dict]) -> None:
        """Each Muon group, then the AdamW groups all at once (one compiled call on the fused path)."""
        for group in groups:
            if group["use_muon"]:
                muon_group_step(group, self.state)
        adam_step([g for g in groups if not g["use_muon"]], self.state)

    def describe(self) -> str:
        """For a trainer's log line, e.g.
        'Muon+AdamW (ours; Muon: NS float32 compiled; AdamW: fused: torch.compile)'."""
        muon = sorted({muon_path(g) for g in self.param_groups if g["use_muon"]})
        adamw = sorted({adam_path(g) for g in self.param_groups if not g["use_muon"]})
        why = f"; {self.path_reason}" if getattr(self, "path_reason", None) else ""
        return f"Muon+AdamW (ours; Muon: {', '.join(muon)}; AdamW: {', '.join(adamw) or 'no groups'}{why})"
