"""Debugging challenge ★★★ (commit 2.4): saving works, and the run's checkpoints look fine on disk.
Then `--resume` refuses every one of them: "Weights only load failed ... Unsupported global:
numpy...". Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase2/debug_capture_numpy_state_raw.py --commit 2.4
"""

TARGET = "phase2_training.resume"
COMMIT = "2.4"
EXERCISE = "capture_run_state"


def capture_run_state(model, optimizer, loader, step, fns=LOCAL_STATE):  # noqa: F821 (the module's default)
    import random

    import numpy as np
    import torch

    rng = {"python": random.getstate(), "torch": torch.get_rng_state(),
           "numpy": np.random.get_state()}  # a tuple holding an ndarray of uint32: pickles, but not weights_only
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    return {"step": step, "model": fns.model_state(model), "optimizer": fns.optimizer_state(model, optimizer),
            "loader": loader.state_dict(), "rng": rng}


def restore_run_state(state, model, optimizer, loader, fns=LOCAL_STATE):  # noqa: F821
    import random

    import numpy as np
    import torch

    fns.load(model, optimizer, state["model"], state["optimizer"])
    loader.load_state_dict(state["loader"])
    version, internal, gauss = state["rng"]["python"]
    random.setstate((version, tuple(internal), gauss))
    torch.set_rng_state(state["rng"]["torch"].cpu())
    np.random.set_state(state["rng"]["numpy"])
    if "cuda" in state["rng"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in state["rng"]["cuda"]])
    return state["step"]
