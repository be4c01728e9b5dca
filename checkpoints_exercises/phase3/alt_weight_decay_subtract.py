"""Alternative solution (commit 3.1, weight_decay): decoupled decay as a subtraction,
param -= (lr * wd) * param (what Loshchilov & Hutter's Algorithm 2 writes), instead of one multiply by
(1 - lr * wd); the L2 gradient as the plain expression grad + wd * param (a new tensor, so p.grad is
untouched). The same numbers up to round-off."""
# ruff: noqa: F821 (runs inside a copy of phase3_optim.adam: its imports and names are in scope)

TARGET = "phase3_optim.adam"
COMMIT = "3.1"
EXERCISE = "weight_decay"


def apply_weight_decay(param, grad, lr, weight_decay, decoupled):
    if weight_decay and decoupled:
        param.sub_(lr * weight_decay * param)
    elif weight_decay:
        grad = grad + weight_decay * param
    return grad
