"""Debugging challenge ★★★ (commit 3.1, adam_foreach): Adam with L2 weight decay trains exactly as it
should — yet a run that logs gradient norms after the optimizer step, or a caller that reuses p.grad,
sees gradients that are not the ones backward computed. What does this step write that it should only
read, and which test says so?"""
# ruff: noqa: F821 (runs inside a copy of phase3_optim.adam: its imports and names are in scope)

TARGET = "phase3_optim.adam"
COMMIT = "3.1"
EXERCISE = "adam_foreach"


def adam_foreach(params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1, beta2, eps, weight_decay, decoupled):
    if weight_decay != 0:
        if decoupled:
            torch._foreach_mul_(params, 1 - lr * weight_decay)
        else:
            torch._foreach_add_(grads, params, alpha=weight_decay)  # "add the L2 term to the gradient"
    torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
    torch._foreach_mul_(exp_avg_sqs, beta2)
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
    step_sizes = [-lr / (1 - beta1 ** t) for t in steps]
    bias_correction2_sqrt = [(1 - beta2 ** t) ** 0.5 for t in steps]
    denoms = torch._foreach_sqrt(exp_avg_sqs)
    torch._foreach_div_(denoms, bias_correction2_sqrt)
    torch._foreach_add_(denoms, eps)
    torch._foreach_addcdiv_(params, exp_avgs, denoms, step_sizes)
