# Learner stub GENERATED from phase2_training/clipping.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
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


def _grads(parameters: Iterable[torch.Tensor] | torch.Tensor) -> list[torch.Tensor]:
    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def global_grad_norm(parameters: Iterable[torch.Tensor] | torch.Tensor) -> torch.Tensor:
    """L2 norm of all gradients together (0 when there are none); nothing is modified."""
    grads = _grads(parameters)
    if not grads:
        return torch.tensor(0.0)
    return torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.detach().float()) for g in grads]))


def clip_grad_norm(parameters: Iterable[torch.Tensor] | torch.Tensor, max_norm: float,
                   eps: float = 1e-6) -> torch.Tensor:
    """Scale all gradients in place so their global L2 norm is at most max_norm; return the norm before.

    Same rule as torch.nn.utils.clip_grad_norm_: factor = min(1, max_norm / (norm + eps)).
    A non-finite norm is returned as is (the gradients become non-finite too): the caller's
    NaN guard decides what to do (phase2_training.step).
    """
    grads = _grads(parameters)
    # >>> exercise 2.3 clip_grad_norm
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=2.3:clip_grad_norm
    raise NotImplementedError("exercise 2.3 clip_grad_norm")
    # <<< exercise 2.3 clip_grad_norm
