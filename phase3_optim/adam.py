"""Adam and AdamW from scratch, with a multi-tensor (foreach) fast path (commit 3.1).

What this adds over `sgd.py`: per-coordinate step sizes. Adam (Kingma & Ba 2014,
arXiv:1412.6980, Algorithm 1) keeps two exponential moving averages per parameter,

    m_t = beta1 * m_{t-1} + (1 - beta1) * g_t            first moment  (exp_avg)
    v_t = beta2 * v_{t-1} + (1 - beta2) * g_t^2          second moment (exp_avg_sq)
    m_hat = m_t / (1 - beta1^t),  v_hat = v_t / (1 - beta2^t)   bias correction
    theta_t = theta_{t-1} - lr * m_hat / (sqrt(v_hat) + eps)

Both averages start at zero, so early on they are biased towards zero; dividing
by (1 - beta^t) removes that bias (without it the first steps are ~10x too small
for beta1=0.9 and v is ~1000x too small for beta2=0.999).

AdamW (Loshchilov & Hutter, ICLR 2019, arXiv:1711.05101, Algorithm 2 line 12):
with Adam, an L2 penalty added to the gradient gets divided by sqrt(v_hat) like
everything else, so weights with large gradients are barely regularised. AdamW
*decouples* the decay from the gradient: theta <- theta * (1 - lr * wd), then the
Adam step. Here `Adam(weight_decay=...)` is the L2 form, `AdamW` the decoupled one.

Our reference follows torch.optim.Adam/AdamW op for op (lerp for m, sqrt(v)/sqrt(bc2)
then + eps), so in float32 1000 steps agree with torch to 1e-6 (a reference-only test). Any other
correct order (the paper's m_hat / (sqrt(v_hat) + eps), mul_().add_() for lerp_) is checked against
torch in float64, where round-off cannot hide a bug (the learner tests).
`foreach=True` runs each stage as one `torch._foreach_*` call over all tensors of a
group instead of a Python loop: far fewer kernel launches, the same numbers.
"""

from __future__ import annotations

import torch

from phase3_optim.fused import adam_fused, resolve_fused
from phase3_optim.sgd import GroupStepOptimizer


class Adam(GroupStepOptimizer):
    """Adam; `decoupled=True` (or the `AdamW` class) applies weight decay the AdamW way.

    The path a step takes: fused=True (our update compiled into one kernel per tensor, fused.py),
    fused=None (fused where this device can compile, else foreach), fused=False (the default, readable:
    foreach=True one torch._foreach_* call per stage, foreach=False a loop of adam_update,
    foreach=None foreach when all tensors share a device). `describe()` says which one runs."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled: bool = False, foreach: bool | None = None,
                 fused: bool | None = False):
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError(f"{type(self).__name__}: lr={lr}, eps={eps}, weight_decay={weight_decay} must be >= 0")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"{type(self).__name__}: betas={betas} must each be in [0, 1), e.g. (0.9, 0.95)")
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, decoupled=decoupled,
                        foreach=foreach, fused=fused)
        super().__init__(params, defaults)

    def step_groups(self, groups: list[dict]) -> None:
        """All groups at once: the fused path then makes ONE compiled call per step."""
        adam_step(groups, self.state)

    def describe(self) -> str:
        """The update path, for a trainer's log line: e.g. 'AdamW (ours, fused: torch.compile)'."""
        why = f"; {self.path_reason}" if getattr(self, "path_reason", None) else ""
        return f"{type(self).__name__} (ours, {', '.join(sorted({adam_path(g) for g in self.param_groups}))}{why})"


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter 2019). Default wd 0.01 as torch.optim.AdamW."""

    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.01, foreach: bool | None = None, fused: bool | None = False):
        super().__init__(params, lr, betas, eps, weight_decay, decoupled=True, foreach=foreach, fused=fused)


def adam_path(group: dict) -> str:
    """Which update path a group takes on its parameters' device: 'fused: torch.compile', 'foreach' or 'per-tensor'."""
    device = group["params"][0].device if group["params"] else torch.device("cpu")
    if resolve_fused(group.get("fused", False), device):
        return "fused: torch.compile"
    foreach = group.get("foreach")
    if foreach is None:
        foreach = len({p.device for p in group["params"]}) <= 1
    return "foreach" if foreach else "per-tensor"


def adam_step(groups: list[dict], state: dict) -> None:
    """One Adam(W) step for every parameter of `groups` (shared by Adam and MuonAdamW's AdamW groups).
    The groups that take the fused path are stepped together, one compiled call per device and dtype."""
    fused_batches: dict[tuple, list] = {}
    for group in groups:
        params, grads, exp_avgs, exp_avg_sqs, steps = gather(group, state)
        if not params:
            continue
        beta1, beta2 = group["betas"]
        hp = dict(lr=group["lr"], beta1=beta1, beta2=beta2, eps=group["eps"], weight_decay=group["weight_decay"],
                  decoupled=group["decoupled"])
        if (resolve_fused(group.get("fused", False), params[0].device) and len(set(steps)) == 1
                and len({(p.device, p.dtype) for p in params}) == 1):
            key = (params[0].device, params[0].dtype)
            fused_batches.setdefault(key, []).append((group, (params, grads, exp_avgs, exp_avg_sqs, steps[0], hp)))
        else:  # a group whose tensors differ in device, dtype or t takes the readable paths
            adam_unfused(group, params, grads, exp_avgs, exp_avg_sqs, steps, hp)
    for batch in fused_batches.values():
        if not adam_fused([tensors for _, tensors in batch]):  # compiling failed (fused.py warned): readable paths
            for group, (params, grads, exp_avgs, exp_avg_sqs, step, hp) in batch:
                adam_unfused(group, params, grads, exp_avgs, exp_avg_sqs, [step] * len(params), hp)


def gather(group: dict, state: dict) -> tuple[list, list, list, list, list[int]]:
    """The group's tensors that have a gradient, with their moments (created on first use) and their step t,
    counting this step."""
    params, grads, exp_avgs, exp_avg_sqs, steps = [], [], [], [], []
    for p in group["params"]:
        if p.grad is None:
            continue
        if p.grad.is_sparse:
            raise RuntimeError("Adam does not support sparse gradients; use torch.optim.SparseAdam")
        st = state[p]
        if not st:  # lazy init: the moments live next to the parameter, same dtype/device
            st["step"] = 0
            st["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            st["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        st["step"] += 1
        params.append(p)
        grads.append(p.grad)
        exp_avgs.append(st["exp_avg"])
        exp_avg_sqs.append(st["exp_avg_sq"])
        steps.append(st["step"])
    return params, grads, exp_avgs, exp_avg_sqs, steps


def adam_unfused(group: dict, params, grads, exp_avgs, exp_avg_sqs, steps: list[int], hp: dict) -> None:
    """The readable paths: foreach (one torch._foreach_* call per stage) or a loop of adam_update."""
    foreach = group.get("foreach")
    if foreach is None:  # default like torch: the fast path whenever everything is on one device
        foreach = len({p.device for p in params}) == 1
    if foreach:
        adam_foreach(params, grads, exp_avgs, exp_avg_sqs, steps, **hp)
    else:
        for p, g, m, v, t in zip(params, grads, exp_avgs, exp_avg_sqs, steps):
            adam_update(p, g, m, v, t, **hp)


def apply_weight_decay(param: torch.Tensor, grad: torch.Tensor, lr: float, weight_decay: float,
                       decoupled: bool) -> torch.Tensor:
    """Apply weight decay; return the gradient Adam should use.

    weight_decay == 0: return grad unchanged, param untouched.
    decoupled (AdamW): shrink the weights directly, param *= 1 - lr*wd (in place), return grad unchanged.
    coupled (Adam + L2): return grad + wd*param (a new tensor: never modify p.grad in place), param untouched.
    """
    # >>> exercise 3.1 weight_decay
    if weight_decay == 0:
        return grad
    if decoupled:
        param.mul_(1 - lr * weight_decay)
        return grad
    return grad.add(param, alpha=weight_decay)
    # <<< exercise 3.1 weight_decay


def adam_update(param: torch.Tensor, grad: torch.Tensor, exp_avg: torch.Tensor, exp_avg_sq: torch.Tensor,
                step: int, lr: float, beta1: float, beta2: float, eps: float, weight_decay: float,
                decoupled: bool) -> None:
    """One Adam(W) step on one parameter, in place. `step` is t, already counting this step (1 on the first).

    Contract (tested): weight decay through `apply_weight_decay`; then, in place on exp_avg, exp_avg_sq and
    param, m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, param -= lr * m_hat / (sqrt(v_hat) + eps) with
    m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t) (eps added to sqrt(v_hat), not inside the sqrt). Any op
    order is fine: checked against torch.optim.Adam in float64 over 200 GPT steps to 1e-8 relative, and
    against the closed form of a constant gradient (each step moves by lr * g / (|g| + eps)). `grad`
    (p.grad) is never modified."""
    # >>> exercise 3.1 adam_update
    grad = apply_weight_decay(param, grad, lr, weight_decay, decoupled)
    exp_avg.lerp_(grad, 1 - beta1)                                # m = b1*m + (1-b1)*g
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)  # v = b2*v + (1-b2)*g^2
    bias_correction1 = 1 - beta1 ** step
    bias_correction2 = 1 - beta2 ** step
    # Fold the corrections into scalars: m_hat/(sqrt(v_hat)+eps) without materialising m_hat or v_hat.
    denom = (exp_avg_sq.sqrt() / bias_correction2 ** 0.5).add_(eps)
    param.addcdiv_(exp_avg, denom, value=-lr / bias_correction1)
    # <<< exercise 3.1 adam_update


def adam_foreach(params: list[torch.Tensor], grads: list[torch.Tensor], exp_avgs: list[torch.Tensor],
                 exp_avg_sqs: list[torch.Tensor], steps: list[int], lr: float, beta1: float, beta2: float,
                 eps: float, weight_decay: float, decoupled: bool) -> None:
    """`adam_update` for a whole list of tensors at once with `torch._foreach_*` ops (same math).

    `steps[i]` is tensor i's own t (a parameter that missed steps has a smaller t, so its own bias
    corrections). Checked against torch.optim.Adam/AdamW(foreach=True) in float64 to 1e-8 relative;
    `grads` (the p.grad tensors) are never modified."""
    # >>> exercise 3.1 adam_foreach
    if weight_decay != 0:
        if decoupled:
            torch._foreach_mul_(params, 1 - lr * weight_decay)
        else:
            grads = torch._foreach_add(grads, params, alpha=weight_decay)
    torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
    torch._foreach_mul_(exp_avg_sqs, beta2)
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
    # Per-tensor scalars (a parameter that missed a step has its own t).
    step_sizes = [-lr / (1 - beta1 ** t) for t in steps]
    bias_correction2_sqrt = [(1 - beta2 ** t) ** 0.5 for t in steps]
    denoms = torch._foreach_sqrt(exp_avg_sqs)
    torch._foreach_div_(denoms, bias_correction2_sqrt)
    torch._foreach_add_(denoms, eps)
    torch._foreach_addcdiv_(params, exp_avgs, denoms, step_sizes)
    # <<< exercise 3.1 adam_foreach
