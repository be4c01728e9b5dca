"""Debugging challenge ★★★ (commit 2.3): the gradient-norm column of metrics.jsonl reads 1.0 at
every step of a run clipped at 1.0, even in the run that later blew up: the spikes that should
have warned you never show. Training itself is unchanged. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase2/debug_clip_returns_clipped_norm.py --commit 2.3
"""

TARGET = "phase2_training.clipping"
COMMIT = "2.3"
EXERCISE = "clip_grad_norm"


def clip_grad_norm(parameters, max_norm, eps=1e-6):
    import torch

    if isinstance(parameters, torch.Tensor):
        parameters = [parameters]
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return torch.tensor(0.0)
    norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g.detach().float()) for g in grads]))
    factor = torch.clamp(max_norm / (norm + eps), max=1.0)
    for g in grads:
        g.detach().mul_(factor.to(g.dtype))
    return norm * factor  # the norm after clipping: capped at max_norm, like the gradients
