"""Debugging challenge ★★★ (commit 3.1): this Adam trains, the loss goes down, yet it drifts away from
torch.optim.Adam, and its first steps are not lr-sized: on a steady gradient torch's Adam moves each
weight by about `lr` per step, this one by 3.16x `lr` on the very first step with betas (0.9, 0.999)
but 0.45x `lr` with betas (0.9, 0.95). Which line of Algorithm 1 of Kingma & Ba is missing, and which
test catches it?"""

TARGET = "phase3_optim.adam"
COMMIT = "3.1"


def adam_update(param, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay, decoupled):
    grad = apply_weight_decay(param, grad, lr, weight_decay, decoupled)  # noqa: F821 (the module's own)
    exp_avg.lerp_(grad, 1 - beta1)
    exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    denom = exp_avg_sq.sqrt().add_(eps)
    param.addcdiv_(exp_avg, denom, value=-lr)
