"""Alternative solution (commit 3.1, adam_foreach): the paper's form with foreach ops — moments by
mul_ and add_ (not lerp_), the bias-corrected m_hat and v_hat materialised, then
p -= lr * m_hat / (sqrt(v_hat) + eps). Same maths as the reference in another op order, so it agrees
with torch only to float64 round-off (the learner test's bound), not bitwise."""
# ruff: noqa: F821 (runs inside a copy of phase3_optim.adam: its imports and names are in scope)

TARGET = "phase3_optim.adam"
COMMIT = "3.1"
EXERCISE = "adam_foreach"


def adam_foreach(params, grads, exp_avgs, exp_avg_sqs, steps, lr, beta1, beta2, eps, weight_decay, decoupled):
    if weight_decay != 0 and decoupled:
        torch._foreach_mul_(params, 1 - lr * weight_decay)
    elif weight_decay != 0:
        grads = [g + weight_decay * p for g, p in zip(grads, params)]  # L2 through a new list, p.grad untouched
    torch._foreach_mul_(exp_avgs, beta1)
    torch._foreach_add_(exp_avgs, grads, alpha=1 - beta1)
    torch._foreach_mul_(exp_avg_sqs, beta2)
    torch._foreach_add_(exp_avg_sqs, torch._foreach_mul(grads, grads), alpha=1 - beta2)
    m_hat = [m / (1 - beta1 ** t) for m, t in zip(exp_avgs, steps)]
    v_hat = [v / (1 - beta2 ** t) for v, t in zip(exp_avg_sqs, steps)]
    denoms = torch._foreach_add(torch._foreach_sqrt(v_hat), eps)
    torch._foreach_sub_(params, [lr * m / d for m, d in zip(m_hat, denoms)])
