"""Global-norm gradient clipping: one bad batch must not undo a thousand good steps.

Treat every gradient of the model as one long vector g. Its global L2 norm is

    ||g|| = sqrt( sum_p ||g_p||^2 ) = || (||g_1||, ||g_2||, ...) ||

If ||g|| > max_norm, scale *all* gradients by max_norm / ||g||: the direction of
the update is kept, only its length is capped (Pascanu et al. 2013, "On the
difficulty of training recurrent neural networks", ICML, arXiv:1211.5063, alg. 1).
Clipping each tensor on its own would change the direction. GPT-2/3 and nanoGPT
clip at 1.0. The returned norm (before clipping) is worth logging: spikes in it
come before loss spikes. torch.nn.utils.clip_grad_norm_ is the oracle.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch


def clip_grad_norm(parameters: Iterable[torch.Tensor] | torch.Tensor, max_norm: float,
                   eps: float = 1e-6) -> torch.Tensor:
    """Scale all gradients in place so their global L2 norm is at most max_norm; return the norm before.

    parameters: tensors (or one tensor) whose `.grad` is clipped; those with `.grad` None are skipped
    and keep None, empty ones count 0. The norm is that of all gradients together, as if concatenated
    into one vector, computed in float32 whatever their dtype; with no gradients at all it is 0.
    Every gradient is multiplied by the same factor min(1, max_norm / (norm + eps)), the rule of
    torch.nn.utils.clip_grad_norm_: a norm at or below max_norm leaves them (within eps) unchanged.
    Returns the norm before clipping, a 0-dim tensor. A non-finite norm (a nan or inf gradient, or
    squares that overflow) is returned as it is, non-finite: the caller's NaN guard decides what to do
    (phase2_training.step).
    """
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    # >>> exercise 2.3 clip_grad_norm
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    # the norm of the per-tensor norms is the norm of the concatenation, without building it
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.detach().float()) for g in grads]))
    factor = torch.clamp(max_norm / (norm + eps), max=1.0)  # a tensor: no GPU->CPU sync to decide
    for g in grads:
        g.detach().mul_(factor.to(g.dtype))
    return norm
    # <<< exercise 2.3 clip_grad_norm
