"""Debugging challenge ★★★ (commit 3.1): this SGD saves a copy... or does it? On the first step the
momentum buffer is set to "the gradient". Training with `zero_grad(set_to_none=True)` looks perfect;
with `zero_grad(set_to_none=False)` (or gradient accumulation) the momentum forgets everything after
the first step, and p.grad changes under your feet. What does `buf = g` share with `g`?"""

TARGET = "phase3_optim.sgd"
COMMIT = "3.1"
EXERCISE = "sgd_update"


def sgd_update(param, grad, state, lr, momentum, dampening, weight_decay, nesterov):
    if weight_decay != 0:
        grad = grad.add(param, alpha=weight_decay)
    if momentum != 0:
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = state["momentum_buffer"] = grad  # the bug: the buffer IS the gradient tensor (no clone)
        else:
            buf.mul_(momentum).add_(grad, alpha=1 - dampening)
        grad = grad.add(buf, alpha=momentum) if nesterov else buf
    param.add_(grad, alpha=-lr)
