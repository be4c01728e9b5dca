"""Exact resume: everything the future of a run depends on, captured and put back (ADR 012).

A resumed run should be the *same* run: its losses equal the uninterrupted run's, bit for
bit on a CPU. The weights are the obvious part; the rest is whatever the next steps read:

    model       the weights                                model.state_dict()
    optimizer   Adam's two moments and step count, lr      optimizer.state_dict()
    step        where the learning-rate schedule stands    an int
    loader      which batch comes next                     loader.state_dict() (phase 0's loader)
    rng         dropout masks, sampling, shuffles          Python's `random`, NumPy's global
                                                           generator, torch's CPU generator, each GPU's

Forget the optimizer and the steps after a resume are Adam's first steps again (the bias
correction at its largest) at the learning rate of step 5000: a loss spike. Forget the loader
and the model sees its first batches twice. Forget one generator and dropout draws other
masks: the run continues, but it is no longer the same run, and no test can tell a resume bug
from noise any more.

The state goes into a checkpoint that is read with torch.load(weights_only=True, map_location="cpu")
(phase 1's read_checkpoint): only tensors, numbers, strings, None and lists/tuples/dicts of them
unpickle, so each generator's state is kept in those types. NumPy's is a tuple holding an
ndarray of uint32, which does not load as it is. How the model and the optimizer turn into
dicts and back is a StateDictFns (checkpoint.py): the plain state_dict calls in one process;
phase 4 passes functions that gather and scatter shards, collectives every rank calls.
The Trainer adds the rest of a checkpoint (configs, tokenizer, metrics, the fp16 loss scale).
"""

from __future__ import annotations

import random

import numpy as np
import torch

from phase2_training.checkpoint import LOCAL_STATE, StateDictFns


def capture_run_state(model, optimizer, loader, step: int, fns: StateDictFns = LOCAL_STATE) -> dict:
    """Everything an exact resume needs: {'step', 'model', 'optimizer', 'loader', 'rng'}.

    'step' is `step`; 'model' is fns.model_state(model); 'optimizer' is fns.optimizer_state(model,
    optimizer); 'loader' is loader.state_dict(); 'rng' holds the state of Python's `random`, of
    NumPy's global generator (np.random), of torch's CPU generator and, where CUDA is available, of
    every GPU's generator. The layout inside 'rng' is yours, as long as restore_run_state reads it
    back. The whole dict must survive torch.save followed by torch.load(weights_only=True,
    map_location="cpu"), so it holds only tensors, numbers, strings, None, lists, tuples and dicts.
    Capturing draws no random number: a run that captures continues exactly as one that did not.
    """
    # >>> exercise 2.4 capture_run_state
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    rng = {"python": random.getstate(),               # (version, tuple of 625 ints, None or a float)
           "torch": torch.get_rng_state(),            # a uint8 tensor
           "numpy": {"kind": kind, "keys": torch.from_numpy(keys.astype(np.int64)),  # the ndarray, as a tensor
                     "pos": int(pos), "has_gauss": int(has_gauss), "cached": float(cached)}}
    if torch.cuda.is_available():
        rng["cuda"] = torch.cuda.get_rng_state_all()
    return {"step": step, "model": fns.model_state(model), "optimizer": fns.optimizer_state(model, optimizer),
            "loader": loader.state_dict(), "rng": rng}
    # <<< exercise 2.4 capture_run_state


def restore_run_state(state: dict, model, optimizer, loader, fns: StateDictFns = LOCAL_STATE) -> int:
    """Put back what capture_run_state captured; return the step to continue from.

    `state` is capture_run_state's dict as torch.load(weights_only=True, map_location="cpu") returns
    it: every tensor is on the CPU, whatever device wrote it. The weights and the optimizer go back
    through fns.load(model, optimizer, state['model'], state['optimizer']) (it moves tensors to where
    the model lives), the loader's position through loader.load_state_dict(state['loader']), and
    every generator capture_run_state recorded is set back (a CUDA state only where this machine has
    GPUs). Afterwards the next batches, random numbers and optimizer steps are exactly those the
    captured run took after its capture. An error of one of these loads (a state of another model,
    optimizer or loader) propagates: the Trainer turns it into a CheckpointError.
    """
    # >>> exercise 2.4 restore_run_state
    fns.load(model, optimizer, state["model"], state["optimizer"])
    loader.load_state_dict(state["loader"])
    rng = state["rng"]
    version, internal, gauss = rng["python"]
    random.setstate((version, tuple(internal), gauss))  # setstate wants tuples; a load may give lists
    torch.set_rng_state(rng["torch"].cpu())
    n = rng["numpy"]
    np.random.set_state((n["kind"], n["keys"].cpu().numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached"]))
    if "cuda" in rng and torch.cuda.is_available():
        torch.cuda.set_rng_state_all([s.cpu() for s in rng["cuda"]])
    return state["step"]
    # <<< exercise 2.4 restore_run_state
