"""Alternative solution (commit 3.3, unscale): the gradients are unscaled with one multi-tensor
`torch._foreach_mul_` call instead of a loop, and the overflow flag comes from stacking every tensor's
`isfinite().all()` and reducing once, instead of folding a running maximum. Still no host sync."""

TARGET = "phase3_optim.precision"
COMMIT = "3.3"
EXERCISE = "unscale"


def unscale_grads(grads, inv_scale):
    import torch
    if not grads:
        return torch.zeros((), dtype=torch.float32)
    torch._foreach_mul_(grads, inv_scale)
    device = grads[0].device
    all_finite = torch.stack([torch.isfinite(g).all().to(device) for g in grads]).all()
    return (~all_finite).to(torch.float32)
