"""Debugging challenge ★★ (commit 3.2): "the lr of this matrix is adjusted_lr(...), so its decay should
use it too" sounds consistent, and on a square or wide matrix nothing changes. Muon (torch.optim.Muon,
Liu et al. 2025) decays with the plain lr. On which shapes does this Muon decay harder, and which test
sees it?"""

from phase3_optim.muon import adjusted_lr

TARGET = "phase3_optim.muon"
COMMIT = "3.2"
EXERCISE = "muon_update"


def muon_update(params, grads, bufs, lr, momentum, nesterov, weight_decay, adjust_lr_fn, orthogonalize):
    directions = []
    for grad, buf in zip(grads, bufs):
        buf.lerp_(grad, 1 - momentum)
        directions.append(grad.lerp(buf, momentum) if nesterov else buf)
    for p, o in zip(params, orthogonalize(directions)):
        p_lr = adjusted_lr(lr, p.shape, adjust_lr_fn)
        p.mul_(1 - p_lr * weight_decay)  # the bug: the decay takes the plain lr
        p.add_(o, alpha=-p_lr)
