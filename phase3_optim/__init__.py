"""Phase 3: optimizers and precision. SGD, Adam/AdamW and Muon from scratch, parameter groups,
mixed precision with a loss scaler, memory and MFU estimates (see README.md)."""

from phase3_optim.adam import Adam, AdamW
from phase3_optim.build import OPTIMIZERS, build_optimizer
from phase3_optim.memory import MemoryEstimate, estimate_memory, measure_peak_memory
from phase3_optim.mfu import DEVICE_PEAKS, device_peak_flops, measure_matmul_peak, mfu
from phase3_optim.muon import Muon, MuonAdamW, newton_schulz
from phase3_optim.param_groups import classify_parameters, describe_groups, param_groups
from phase3_optim.precision import LossScaler, autocast_context, maybe_compile, parse_dtype
from phase3_optim.sgd import SGD

__all__ = [
    "SGD", "Adam", "AdamW", "Muon", "MuonAdamW", "newton_schulz", "build_optimizer", "OPTIMIZERS",
    "classify_parameters", "param_groups", "describe_groups",
    "LossScaler", "autocast_context", "maybe_compile", "parse_dtype",
    "MemoryEstimate", "estimate_memory", "measure_peak_memory",
    "DEVICE_PEAKS", "device_peak_flops", "measure_matmul_peak", "mfu",
]
