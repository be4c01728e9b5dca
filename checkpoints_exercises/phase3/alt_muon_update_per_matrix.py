"""Alternative solution (commit 3.2, muon_update): the paper's equations one matrix at a time. The
momentum as b = mu * b + (1 - mu) * g written with mul_/add_, Nesterov as an explicit sum, one
`orthogonalize` call per matrix (correct, only without the batching of same-shape matrices), and the
shape factors written from the two papers instead of calling adjusted_lr."""

import math

TARGET = "phase3_optim.muon"
COMMIT = "3.2"
EXERCISE = "muon_update"


def muon_update(params, grads, bufs, lr, momentum, nesterov, weight_decay, adjust_lr_fn, orthogonalize):
    for p, g, b in zip(params, grads, bufs):
        b.mul_(momentum).add_(g, alpha=1 - momentum)
        u = (1 - momentum) * g + momentum * b if nesterov else b
        (o,) = orthogonalize([u])
        fan_out, fan_in = p.shape
        if adjust_lr_fn == "original":
            scale = math.sqrt(max(1.0, fan_out / fan_in))  # Jordan et al. 2024
        elif adjust_lr_fn == "match_rms_adamw":
            scale = 0.2 * math.sqrt(max(fan_out, fan_in))  # Liu et al. 2025: the RMS of AdamW's update
        elif adjust_lr_fn == "none":
            scale = 1.0
        else:
            raise ValueError(f"adjust_lr_fn={adjust_lr_fn!r}")
        p.mul_(1 - lr * weight_decay)
        p.sub_(lr * scale * o)
