"""Debugging challenge ★★★ (commit 3.1): with `foreach=True` AdamW matches torch's on a plain GPT, but
in a run where some parameters get no gradient for a while (a frozen embedding unfrozen later, an
unused expert) those parameters take oversized first steps once they start training, and the
per-tensor path (`foreach=False`) does not. Find the bug; which test catches it?

    python -m tools.challenges debug_adam_foreach_one_step_count
"""
# ruff: noqa: F821 (runs inside a copy of phase3_optim.adam: its imports and names are in scope)

TARGET = "phase3_optim.adam"
COMMIT = "3.1"
EXERCISE = "adam_foreach"


def adam_foreach(params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1, beta2, eps, weight_decay, decoupled):
    if weight_decay != 0:
        if decoupled:
            torch._foreach_mul_(params, 1 - lr * weight_decay)
        else:
            grads = torch._foreach_add(grads, params, alpha=weight_decay)
    torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
    torch._foreach_mul_(exp_avg_sqs, beta2)
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
    t = steps[0]  # the optimizer's step count: the same for the whole list
    bias_correction1 = 1 - beta1 ** t
    bias_correction2_sqrt = (1 - beta2 ** t) ** 0.5
    denoms = torch._foreach_sqrt(exp_avg_sqs)
    torch._foreach_div_(denoms, bias_correction2_sqrt)
    torch._foreach_add_(denoms, eps)
    torch._foreach_addcdiv_(params, exp_avgs, denoms, -lr / bias_correction1)
