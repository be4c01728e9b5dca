"""Alternative solution (commit 3.1, adam_foreach): tensors are bucketed by their step t first, and each
bucket takes one set of `torch._foreach_*` calls with plain float bias corrections, instead of one set of
calls with per-tensor scalar lists. In a normal run every parameter has the same t, so there is one
bucket; a parameter that skipped steps lands in a bucket of its own, with its own corrections.
The same arithmetic element by element (the op order is the reference's)."""
# ruff: noqa: F821 (runs inside a copy of phase3_optim.adam: its imports and names are in scope)

TARGET = "phase3_optim.adam"
COMMIT = "3.1"
EXERCISE = "adam_foreach"


def adam_foreach(params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1, beta2, eps, weight_decay, decoupled):
    buckets = {}  # t -> indices of the tensors at that step
    for i, t in enumerate(steps):
        buckets.setdefault(t, []).append(i)
    for t, idx in buckets.items():
        p = [params[i] for i in idx]
        g = [grads[i] for i in idx]
        m = [exp_avgs[i] for i in idx]
        v = [exp_avg_sqs[i] for i in idx]
        if weight_decay != 0 and decoupled:
            torch._foreach_mul_(p, 1 - lr * weight_decay)
        elif weight_decay != 0:
            g = torch._foreach_add(g, p, alpha=weight_decay)  # new tensors: p.grad stays as it was
        torch._foreach_lerp_(m, g, 1 - beta1)
        torch._foreach_mul_(v, beta2)
        torch._foreach_addcmul_(v, g, g, 1 - beta2)
        denom = torch._foreach_sqrt(v)
        torch._foreach_div_(denom, (1 - beta2 ** t) ** 0.5)
        torch._foreach_add_(denom, eps)
        torch._foreach_addcdiv_(p, m, denom, -lr / (1 - beta1 ** t))
