"""Alternative solution (commit 3.1, adam_update): Adam written straight from Algorithm 1 of Kingma & Ba
(2014) — m and v updated with mul_().add_() instead of lerp_, m_hat and v_hat materialised, and the
step -lr * m_hat / (sqrt(v_hat) + eps) — instead of the reference's torch-style op order (lerp_,
addcmul_, sqrt(v) / sqrt(1 - beta2^t), addcdiv_). Mathematically the same update; in float32 its
round-off differs from torch's, which is why the learner checks compare in float64."""

TARGET = "phase3_optim.adam"
COMMIT = "3.1"
EXERCISE = "adam_update"


def adam_update(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay, decoupled):
    grad = apply_weight_decay(param, grad, lr, weight_decay, decoupled)  # noqa: F821 (the module's own)
    exp_avg.mul_(beta1).add_((1 - beta1) * grad)              # m_t = b1 m_{t-1} + (1 - b1) g_t
    exp_avg_sq.mul_(beta2).add_((1 - beta2) * grad * grad)    # v_t = b2 v_{t-1} + (1 - b2) g_t^2
    m_hat = exp_avg / (1 - beta1 ** step)
    v_hat = exp_avg_sq / (1 - beta2 ** step)
    param.sub_(lr * m_hat / (v_hat.sqrt() + eps))
