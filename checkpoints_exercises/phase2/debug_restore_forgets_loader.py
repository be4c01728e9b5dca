"""Debugging challenge ★★★ (commit 2.4): after a resume the train loss drops suspiciously fast for
a while, then the curve rejoins the old one: the model is seeing the epoch's first batches again.
Weights, Adam's moments and every RNG came back exactly. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase2/debug_restore_forgets_loader.py --commit 2.4
"""

TARGET = "phase2_training.resume"
COMMIT = "2.4"
EXERCISE = "restore_run_state"


def restore_run_state(state, model, optimizer, loader, fns=LOCAL_STATE):  # noqa: F821 (the module's default)
    import random

    import numpy as np
    import torch

    fns.load(model, optimizer, state["model"], state["optimizer"])  # the loader "starts wherever it starts"
    rng = state["rng"]
    version, internal, gauss = rng["python"]
    random.setstate((version, tuple(internal), gauss))
    torch.set_rng_state(rng["torch"].cpu())
    n = rng["numpy"]
    np.random.set_state((n["kind"], n["keys"].cpu().numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached"]))
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in rng["cuda"]])
    return state["step"]
