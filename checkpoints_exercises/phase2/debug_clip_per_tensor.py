"""Debugging challenge ★★★ (commit 2.3): clipping is on at 1.0 and no gradient tensor ever has a
norm above 1.0, yet training with this clip diverges from the reference one: the updates point
in a different direction. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase2/debug_clip_per_tensor.py --commit 2.3
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
    norms = []
    for g in grads:
        norm = torch.linalg.vector_norm(g.detach().float())
        g.detach().mul_(torch.clamp(max_norm / (norm + eps), max=1.0))
        norms.append(norm)
    return torch.linalg.vector_norm(torch.stack(norms))
