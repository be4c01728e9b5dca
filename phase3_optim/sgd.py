"""SGD with momentum, from scratch: the smallest `torch.optim.Optimizer` (commit 3.1).

What this module teaches: how an optimizer object is built in PyTorch
(`param_groups` hold the hyper-parameters, `self.state[p]` holds per-parameter
buffers, `step()` runs under `torch.no_grad()`), with the simplest update that
still keeps state: heavy-ball momentum (Polyak 1964), optionally Nesterov
(Sutskever et al. 2013, "On the importance of initialization and momentum").

    b_t = mu * b_{t-1} + (1 - dampening) * g_t        (b_1 = g_1)
    d_t = g_t + mu * b_t   if nesterov   else   b_t
    theta_t = theta_{t-1} - lr * d_t

Weight decay here is the classic L2 form (added to the gradient); `adam.py`
shows why Adam needs the *decoupled* form instead. Our reference follows torch.optim.SGD
op for op, so in float32 the two agree to round-off (a reference-only test); any correct
order is checked against torch in float64.
"""

from __future__ import annotations

import torch


class GroupStepOptimizer(torch.optim.Optimizer):
    """The `step()` every optimizer of this phase shares: run the closure (if any) with gradients
    on, then update the param groups. A subclass says how a group is updated (`group_step`), or,
    to update several groups in one call (Adam's fused path), how a list of groups is (`step_groups`)."""

    def group_step(self, group: dict) -> None:
        raise NotImplementedError

    def step_groups(self, groups: list[dict]) -> None:
        for group in groups:
            self.group_step(group)

    def describe(self) -> str:
        """Which optimizer and update path runs, for a trainer's log line (Adam and Muon say more)."""
        return f"{type(self).__name__} (ours)"

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self.step_groups(self.param_groups)
        return loss


class SGD(GroupStepOptimizer):
    """SGD with optional momentum, dampening, Nesterov and L2 weight decay."""

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False):
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: lr={lr}, momentum={momentum}, weight_decay={weight_decay} must all be >= 0")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay, nesterov=nesterov)
        super().__init__(params, defaults)

    def group_step(self, group: dict) -> None:
        for p in group["params"]:
            if p.grad is None:
                continue
            sgd_update(p, p.grad, self.state[p], group["lr"], group["momentum"], group["dampening"],
                       group["weight_decay"], group["nesterov"])


def sgd_update(param: torch.Tensor, grad: torch.Tensor, state: dict, lr: float, momentum: float,
               dampening: float, weight_decay: float, nesterov: bool) -> None:
    """One SGD step on one parameter, in place. `state` is this parameter's dict (keeps "momentum_buffer").

    Contract (tested): the formulas of the module docstring (checked against torch.optim.SGD in float64 over
    200 GPT steps to 1e-10 relative, also with zero_grad(set_to_none=False)). `grad` is never modified, and
    state["momentum_buffer"] is a tensor of its own, never `grad` itself or a view of it (p.grad is zeroed
    and refilled in place by zero_grad(set_to_none=False) and by gradient accumulation)."""
    # >>> exercise 3.1 sgd_update
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)  # out of place: never touch p.grad
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = grad.detach().clone()  # first step: no history to damp
        else:
            buf.mul_(momentum).add_(grad, alpha=1 - dampening)
        grad = grad.add(buf, alpha=momentum) if nesterov else buf
    param.add_(grad, alpha=-lr)
    # <<< exercise 3.1 sgd_update
