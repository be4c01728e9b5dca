"""Alternative solution (commit 4.2, zero_update_shard): AdamW as Loshchilov & Hutter's Algorithm 2
prints it: bias-corrected m_hat and v_hat, then one update w -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * w)
with the decay on the OLD weights, instead of torch's decay-first, lerp_ and folded bias corrections.
The same numbers to float rounding."""

TARGET = "phase4_distributed.zero"
COMMIT = "4.2"
EXERCISE = "zero_update_shard"


def adamw_update_shard(pieces, exp_avg, exp_avg_sq, t):
    import torch

    with torch.no_grad():
        for p, group, a, b, off in pieces:
            if p.grad is None:
                continue
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            w = p.view(-1)[a:b]
            g = p.grad.view(-1)[a:b].float()
            m, v = exp_avg[off:off + b - a], exp_avg_sq[off:off + b - a]
            m.mul_(beta1).add_((1 - beta1) * g)
            v.mul_(beta2).add_((1 - beta2) * g * g)
            m_hat = m / (1 - beta1 ** t)
            v_hat = v / (1 - beta2 ** t)
            w.sub_((lr * (m_hat / (v_hat.sqrt() + eps) + wd * w.float())).to(w.dtype))
