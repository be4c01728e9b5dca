"""Alternative solution (commit 2.1, log_softmax): the max is subtracted WITHOUT .detach(). The
reference detaches it to keep the graph small, but it is not needed for correctness: the result
does not depend on the shift m at all, so the gradient that flows through m sums to zero
(d/dm [z - m - log sum exp(z - m)] = -1 + 1). Same values, same gradients."""

TARGET = "phase2_training.loss"
COMMIT = "2.1"
EXERCISE = "log_softmax"


def log_softmax(logits, dim=-1):
    m = logits.max(dim=dim, keepdim=True).values  # no detach: the shift cancels in value and in gradient
    return logits - m - (logits - m).exp().sum(dim=dim, keepdim=True).log()
