"""Debugging challenge ★★★ (commit 4.2): ZeRO-1 matches AdamW while every parameter trains. Then
you freeze the embeddings for a fine-tune (their .grad stays None) and, under ZeRO only, they
slowly shrink towards zero, by a factor (1 - lr * wd) per step. Find the bug; which test catches it?

    python -m tools.challenges debug_zero_decays_params_without_grad
"""

TARGET = "phase4_distributed.zero"
COMMIT = "4.2"
EXERCISE = "zero_update_shard"


def adamw_update_shard(pieces, exp_avg, exp_avg_sq, t):
    import math

    import torch

    with torch.no_grad():
        for p, group, a, b, off in pieces:
            lr, (beta1, beta2), eps, wd = group["lr"], group["betas"], group["eps"], group["weight_decay"]
            w = p.view(-1)[a:b]
            w.mul_(1 - lr * wd)  # "decoupled weight decay does not need the gradient"... nor should it run
            if p.grad is None:
                continue
            g = p.grad.view(-1)[a:b].float()
            m, v = exp_avg[off:off + b - a], exp_avg_sq[off:off + b - a]
            m.lerp_(g, 1 - beta1)
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            denom = (v.sqrt() / math.sqrt(1 - beta2 ** t)).add_(eps)
            w.addcdiv_(m.to(w.dtype), denom.to(w.dtype), value=-lr / (1 - beta1 ** t))
