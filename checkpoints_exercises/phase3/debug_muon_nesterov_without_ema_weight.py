"""Debugging challenge ★★★ (commit 3.2): the post's code writes Nesterov as `g + mu * buf` and this Muon
does the same. Newton-Schulz normalises its input, so the step direction barely changes... but the
momentum buffer here is an EMA, not the post's running sum. Which test notices the look-ahead is
weighted wrongly?"""

TARGET = "phase3_optim.muon"
COMMIT = "3.2"
EXERCISE = "muon_momentum"


def muon_momentum(grad, buf, momentum, nesterov):
    buf.lerp_(grad, 1 - momentum)
    return grad.add(buf, alpha=momentum) if nesterov else buf  # the bug: (1 - mu) * g + mu * buf is meant
