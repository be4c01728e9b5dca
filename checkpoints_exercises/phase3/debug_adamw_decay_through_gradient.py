"""Debugging challenge ★★★ (commit 3.1): "AdamW" here adds wd * param to the gradient, the way SGD does
L2 regularisation. It looks harmless (it is what Adam's weight_decay does) but it is not AdamW: the decay
gets divided by sqrt(v_hat) like the rest of the gradient. Which test notices?"""

TARGET = "phase3_optim.adam"
COMMIT = "3.1"
EXERCISE = "weight_decay"


def apply_weight_decay(param, grad, lr, weight_decay, decoupled):
    if weight_decay == 0:
        return grad
    return grad.add(param, alpha=weight_decay)  # the bug: the same rule whether decoupled or not
