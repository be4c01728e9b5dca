"""Phase 3: optimizers and precision. SGD, Adam/AdamW and Muon from scratch, parameter groups,
mixed precision with a loss scaler, memory and MFU estimates (see README.md)."""

import importlib

# name -> module that defines it. Imported on first use (PEP 562), not here: an eager import
# would load a module before `python -m <package>.<module>` runs it as __main__ (runpy warns).
_EXPORTS = {
    "Adam": "phase3_optim.adam", "AdamW": "phase3_optim.adam",
    "OPTIMIZERS": "phase3_optim.build", "build_optimizer": "phase3_optim.build",
    "MemoryEstimate": "phase3_optim.memory", "estimate_memory": "phase3_optim.memory",
    "measure_peak_memory": "phase3_optim.memory",
    "DEVICE_PEAKS": "phase3_optim.mfu", "device_peak_flops": "phase3_optim.mfu",
    "measure_matmul_peak": "phase3_optim.mfu", "mfu": "phase3_optim.mfu",
    "Muon": "phase3_optim.muon", "MuonAdamW": "phase3_optim.muon", "newton_schulz": "phase3_optim.muon",
    "classify_parameters": "phase3_optim.param_groups", "describe_groups": "phase3_optim.param_groups",
    "param_groups": "phase3_optim.param_groups",
    "LossScaler": "phase3_optim.precision", "autocast_context": "phase3_optim.precision",
    "maybe_compile": "phase3_optim.precision", "parse_dtype": "phase3_optim.precision",
    "SGD": "phase3_optim.sgd",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
