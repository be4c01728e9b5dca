"""Alternative solution (commit 3.1, sgd_update): the buffer is rebuilt out of place each step,
b = momentum * b + (1 - dampening) * g, and stored back in `state` (a new tensor every step, so it can
never alias p.grad), and the weights move by param -= lr * d_p. Torch's in-place mul_/add_ save the
allocation; the numbers are the same."""

TARGET = "phase3_optim.sgd"
COMMIT = "3.1"
EXERCISE = "sgd_update"


def sgd_update(param, grad, state, lr, momentum, dampening, weight_decay, nesterov):
    d_p = grad + weight_decay * param if weight_decay else grad
    if momentum:
        buf = state.get("momentum_buffer")
        # first step: the buffer is the gradient itself (no history to damp), as torch.optim.SGD does
        buf = d_p.detach().clone() if buf is None else momentum * buf + (1 - dampening) * d_p
        state["momentum_buffer"] = buf
        d_p = d_p + momentum * buf if nesterov else buf
    param.sub_(lr * d_p)
