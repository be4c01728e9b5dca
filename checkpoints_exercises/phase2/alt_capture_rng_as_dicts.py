"""Alternative solution (commit 2.4, capture_run_state, with its own restore_run_state): another
layout for 'rng'. NumPy's state is taken in its dict form (np.random.get_state(legacy=False)) with
the key array as a list of ints, Python's as a list, and restore rebuilds both. Any layout works as
long as the pair agrees and the values stay plain for torch.load(weights_only=True)."""

TARGET = "phase2_training.resume"
COMMIT = "2.4"
EXERCISE = "capture_run_state"


def capture_run_state(model, optimizer, loader, step, fns=LOCAL_STATE):  # noqa: F821 (the module's default)
    import random

    import numpy as np
    import torch

    npstate = np.random.get_state(legacy=False)  # {'bit_generator', 'state': {'key', 'pos'}, 'has_gauss', 'gauss'}
    version, internal, gauss = random.getstate()
    rng = {"py": [version, list(internal), gauss], "torch_cpu": torch.get_rng_state().clone(),
           "np": {"bit_generator": npstate["bit_generator"], "key": npstate["state"]["key"].tolist(),
                  "pos": int(npstate["state"]["pos"]), "has_gauss": int(npstate["has_gauss"]),
                  "gauss": float(npstate["gauss"])},
           "gpus": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}
    return {"step": int(step), "model": fns.model_state(model), "optimizer": fns.optimizer_state(model, optimizer),
            "loader": dict(loader.state_dict()), "rng": rng}


def restore_run_state(state, model, optimizer, loader, fns=LOCAL_STATE):  # noqa: F821
    import random

    import numpy as np
    import torch

    rng = state["rng"]
    version, internal, gauss = rng["py"]
    random.setstate((version, tuple(internal), gauss))
    n = rng["np"]
    np.random.set_state({"bit_generator": n["bit_generator"],
                         "state": {"key": np.array(n["key"], dtype=np.uint32), "pos": n["pos"]},
                         "has_gauss": n["has_gauss"], "gauss": n["gauss"]})
    torch.set_rng_state(rng["torch_cpu"].cpu())
    if rng["gpus"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in rng["gpus"]])
    fns.load(model, optimizer, state["model"], state["optimizer"])
    loader.load_state_dict(state["loader"])
    return state["step"]
