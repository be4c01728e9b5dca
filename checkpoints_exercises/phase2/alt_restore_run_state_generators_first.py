"""Alternative solution (commit 2.4, restore_run_state): the generators first, then the loader, then
weights and optimizer, and NumPy's legacy tuple rebuilt with numpy's own conversion. The order of
the loads does not matter: none of them draws a random number."""

TARGET = "phase2_training.resume"
COMMIT = "2.4"
EXERCISE = "restore_run_state"


def restore_run_state(state, model, optimizer, loader, fns=LOCAL_STATE):  # noqa: F821 (the module's default)
    import random

    import numpy as np
    import torch

    rng = state["rng"]
    py = rng["python"]
    random.setstate((py[0], tuple(int(v) for v in py[1]), py[2]))
    n = rng["numpy"]
    keys = np.asarray(n["keys"].to("cpu").tolist(), dtype=np.uint32)
    np.random.set_state((str(n["kind"]), keys, int(n["pos"]), int(n["has_gauss"]), float(n["cached"])))
    torch.random.set_rng_state(rng["torch"].to("cpu"))
    for i, s in enumerate(rng.get("cuda", []) if torch.cuda.is_available() else []):
        torch.cuda.set_rng_state(s.to("cpu"), device=i)
    loader.load_state_dict(state["loader"])
    fns.load(model, optimizer, state["model"], state["optimizer"])
    return int(state["step"])
