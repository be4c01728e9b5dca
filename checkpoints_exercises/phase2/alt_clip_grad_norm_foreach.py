"""Alternative solution (commit 2.3, clip_grad_norm): the global norm is the square root of the
summed squares (not the norm of the per-tensor norms), computed in float64 and applied with one
multi-tensor `torch._foreach_mul_`. Same factor min(1, max_norm / (norm + eps)), still no host sync."""

TARGET = "phase2_training.clipping"
COMMIT = "2.3"
EXERCISE = "clip_grad_norm"


def clip_grad_norm(parameters, max_norm, eps=1e-6):
    import torch

    params = [parameters] if isinstance(parameters, torch.Tensor) else list(parameters)
    grads = [p.grad.detach() for p in params if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    squares = torch.stack([g.double().pow(2).sum() for g in grads])
    norm = squares.sum().sqrt().float()
    factor = (max_norm / (norm + eps)).clamp(max=1.0)
    torch._foreach_mul_(grads, factor)
    return norm
