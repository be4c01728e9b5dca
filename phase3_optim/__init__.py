"""Phase 3: optimizers and precision. SGD, Adam/AdamW and Muon from scratch, parameter groups,
mixed precision with a loss scaler, memory and MFU estimates (see README.md)."""

from phase0_tokenizer.lazy import lazy_exports

# name -> module that defines it, imported on first use (see phase0_tokenizer/lazy.py for why).
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
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
