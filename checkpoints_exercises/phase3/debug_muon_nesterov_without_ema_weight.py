"""Debugging challenge ★★★ (commit 3.2): the post's code writes Nesterov as `g + mu * buf` and this Muon
does the same. Newton-Schulz normalises its input, so the step direction barely changes... but the
momentum buffer here is an EMA, not the post's running sum. Which test notices the look-ahead is
weighted wrongly?"""

from phase3_optim.muon import adjusted_lr

TARGET = "phase3_optim.muon"
COMMIT = "3.2"
EXERCISE = "muon_update"


def muon_update(params, grads, bufs, lr, momentum, nesterov, weight_decay, adjust_lr_fn, orthogonalize):
    directions = []
    for grad, buf in zip(grads, bufs):
        buf.lerp_(grad, 1 - momentum)
        directions.append(grad.add(buf, alpha=momentum) if nesterov else buf)  # the bug: (1 - mu) g + mu buf
    for p, o in zip(params, orthogonalize(directions)):
        if weight_decay != 0:
            p.mul_(1 - lr * weight_decay)
        p.add_(o, alpha=-adjusted_lr(lr, p.shape, adjust_lr_fn))
