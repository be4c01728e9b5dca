"""Debugging challenge ★★★ (commit 3.3): this unscale checks for overflow with `abs().max() == inf`
and answers with a Python bool. Two problems: what is `max()` of a tensor holding a NaN, compared with
inf? And what does turning a device tensor into a bool cost, once per parameter, on a GPU?"""

TARGET = "phase3_optim.precision"
COMMIT = "3.3"
EXERCISE = "unscale"


def unscale_grads(grads, inv_scale):
    found_inf = False
    for g in grads:
        g.mul_(inv_scale)
        found_inf = found_inf or bool(g.abs().max() == float("inf"))  # the bugs: NaN slips through; a sync per tensor
    return found_inf
