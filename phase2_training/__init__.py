"""Phase 2: training. Loss, loop, schedules, clipping, accumulation, checkpoints, sampling (see README.md)."""

from phase2_training.batching import pack_rows
from phase2_training.checkpoint import (
                                        CheckpointError,
                                        StateDictFns,
                                        atomic_save,
                                        latest_checkpoint,
                                        list_checkpoints,
                                        load_checkpoint,
                                        save_checkpoint,
)
from phase2_training.clipping import clip_grad_norm
from phase2_training.config import ConfigError, TrainConfig, apply_overrides, load_config
from phase2_training.device import autocast_context, pick_device, seed_everything
from phase2_training.evaluate import evaluate
from phase2_training.jsonl import MetricsLogger, read_jsonl
from phase2_training.loss import (
                                        bits_per_byte,
                                        cross_entropy,
                                        log_softmax,
                                        nats_and_bytes,
                                        perplexity,
                                        unigram_bits_per_byte,
)
from phase2_training.optimizer import make_adamw, param_groups
from phase2_training.resume import capture_run_state, restore_run_state
from phase2_training.schedule import lr_multiplier, set_lr, warmup_cosine, warmup_stable_decay
from phase2_training.step import NonFiniteLossError, StepResult, no_grad_sync, train_step
from phase2_training.trainer import Trainer, TrainingDiverged

__all__ = [
    "pack_rows", "CheckpointError", "StateDictFns", "atomic_save", "latest_checkpoint", "list_checkpoints",
    "load_checkpoint", "save_checkpoint", "clip_grad_norm", "ConfigError", "TrainConfig",
    "apply_overrides",
    "load_config", "autocast_context", "pick_device", "seed_everything", "evaluate",
    "MetricsLogger", "read_jsonl", "bits_per_byte", "cross_entropy", "log_softmax", "nats_and_bytes", "perplexity",
    "unigram_bits_per_byte", "make_adamw", "param_groups", "capture_run_state", "restore_run_state", "lr_multiplier",
    "set_lr", "warmup_cosine", "warmup_stable_decay", "NonFiniteLossError", "StepResult", "no_grad_sync", "train_step",
    "Trainer", "TrainingDiverged",
]

