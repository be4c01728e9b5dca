"""The training loop: data -> model -> optimizer step, with evaluation, metrics and checkpoints.

    for step in range(start, max_steps):
        set the learning rate from the schedule               schedule.py   (2.3)
        take grad_accum_steps micro-batches, one update       step.py       (2.3)
        every log_interval: a metrics line (JSONL)            jsonl.py      (2.2)
        every eval_interval: val loss and bits per byte       evaluate.py   (2.2)
        every checkpoint_interval: an atomic checkpoint       checkpoint.py (2.4)

Everything else is set-up: the device (cuda > mps > cpu), the seed, the data
(phase 0), the model (phase 1), the optimizer (a hook phase 3 replaces). Later
phases plug in without editing this file: `wrap_model` (torch.compile, DDP) and
rank/world_size (phase 4: data sharded by rank, I/O on rank 0 only).
If the loss turns nan the loop stops before the bad update, leaves the last
good checkpoint alone and says how to resume.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import torch

from phase0_tokenizer.data import SequentialLoader, TokenDataset, token_bytes
from phase1_model import GPT, GPTConfig, load_weights
from phase2_training.checkpoint import (
    CheckpointError,
    latest_checkpoint,
    load_checkpoint,
    remove_stale_temp_files,
    save_checkpoint,
)
from phase2_training.config import TrainConfig
from phase2_training.data_prep import PreparedData, file_sha256, prepare_data
from phase2_training.device import autocast_context, pick_device, rng_state, seed_everything, set_rng_state
from phase2_training.evaluate import evaluate
from phase2_training.jsonl import MetricsLogger
from phase2_training.optimizer import make_optimizer
from phase2_training.progress import TrainProgress
from phase2_training.schedule import lr_multiplier, set_lr
from phase2_training.step import NonFiniteLossError, train_step


class TrainingDiverged(RuntimeError):
    """The loss or gradient became nan/inf; the message names the last good checkpoint and the fix."""


def build_model_config(cfg: TrainConfig, vocab_size: int) -> GPTConfig:
    return GPTConfig.from_lineage(cfg.lineage, vocab_size=vocab_size, block_size=cfg.block_size,
                                  n_layer=cfg.n_layer, n_head=cfg.n_head, n_kv_head=cfg.n_kv_head,
                                  n_embd=cfg.n_embd, dropout=cfg.dropout, **cfg.model_overrides)


class Trainer:
    def __init__(self, cfg: TrainConfig, rank: int = 0, world_size: int = 1,
                 wrap_model: Callable[[torch.nn.Module], torch.nn.Module] | None = None, log: Callable = print,
                 data: PreparedData | None = None):
        self.cfg, self.rank, self.world_size = cfg, rank, world_size
        self.is_master = rank == 0  # only rank 0 writes logs, checkpoints and plots (phase 4)
        self.log = log if self.is_master else (lambda *a, **k: None)
        self.out_dir = Path(cfg.out_dir)
        self.ckpt_dir = self.out_dir / "checkpoints"
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self.device = pick_device(cfg.device)
        self.autocast = autocast_context(cfg.dtype, self.device)
        self.scaler = None  # fp16 needs loss scaling (ADR 015); bf16 and fp32 do not
        if cfg.dtype == "fp16":
            from phase3_optim.precision import LossScaler  # lazy: phase 2 runs without phase 3
            self.scaler = LossScaler()
        seed_everything(cfg.seed)  # before the model: its init draws from torch's generator
        self.data = data or self._prepare_data()
        self.tokenizer = self.data.tokenizer
        self.model_config = build_model_config(cfg, self.tokenizer.vocab_size)
        self.model = GPT(self.model_config).to(self.device)
        self.train_model = (wrap_model or (lambda m: m))(self.model)
        self.optimizer = make_optimizer(self.model, cfg)
        train, val = TokenDataset(self.data.data_dir, "train"), TokenDataset(self.data.data_dir, "val")
        self.loader = SequentialLoader(train, cfg.batch_size, cfg.block_size, rank, world_size, self.device,
                                       shuffle=True, seed=cfg.seed)
        val_loader = SequentialLoader(val, cfg.batch_size, cfg.block_size, rank, world_size, self.device)
        # fixed val batches: every eval sees the same tokens and consumes no randomness
        self.val_batches = [next(val_loader) for _ in range(min(cfg.eval_iters, val_loader.steps_per_epoch))]
        self.token_bytes = token_bytes(self.tokenizer).to(self.device)
        self.step, self.tokens_seen, self.elapsed = 0, 0, 0.0
        self.last: dict = {}
        if cfg.resume:
            self.resume()

    def _prepare_data(self) -> PreparedData:
        """Rank 0 builds the tokenizer and shards while the other ranks wait, then they read them."""
        distributed = self.world_size > 1 and torch.distributed.is_initialized()
        if distributed and not self.is_master:
            torch.distributed.barrier()
        data = prepare_data(self.cfg, log=self.log)
        if distributed and self.is_master:
            torch.distributed.barrier()
        return data

    # ---- checkpoints (2.4) ------------------------------------------------------------------------
    def state(self) -> dict:
        """Everything a bit-identical resume needs. With several ranks every rank must call this:
        gathering FSDP shards or ZeRO-1 optimizer shards is a collective (ADR 018)."""
        if self.world_size > 1:
            from phase4_distributed.checkpoint import model_state_dict, optimizer_state_dict  # lazy: phase 4
            model_sd, optim_sd = model_state_dict(self.model), optimizer_state_dict(self.model, self.optimizer)
        else:
            model_sd, optim_sd = self.model.state_dict(), self.optimizer.state_dict()
        return {"step": self.step, "model": model_sd, "optimizer": optim_sd,
                "rng": rng_state(), "loader": self.loader.state_dict(), "config": self.cfg.to_dict(),
                "model_config": self.model_config.to_dict(), "tokenizer": self.data.reference(),
                "metrics": {"tokens_seen": self.tokens_seen, "elapsed_s": self.elapsed, **self.last}}

    def save(self) -> Path | None:
        state = self.state()  # on every rank (collectives), then only rank 0 writes
        if not self.is_master:
            return None
        return save_checkpoint(self.ckpt_dir, state, keep=self.cfg.keep_checkpoints)

    def resume(self) -> None:
        remove_stale_temp_files(self.ckpt_dir)  # leftovers of a save that was killed
        path = latest_checkpoint(self.ckpt_dir)
        if path is None:
            raise CheckpointError(f"--resume, but {self.ckpt_dir} holds no checkpoint: drop --resume to start fresh")
        state = load_checkpoint(path, map_location=self.device)
        saved = GPTConfig.from_dict(state["model_config"])
        if saved != self.model_config:
            raise CheckpointError(f"{path} holds a different model: " + "; ".join(saved.diff(self.model_config))
                                  + ". Resume with the config it was trained with.")
        if state["tokenizer"]["sha256"] != file_sha256(self.data.tokenizer_path):
            raise CheckpointError(f"{path} was trained with another tokenizer than {self.data.tokenizer_path}: "
                                  "resume with the same corpus/vocab settings")
        if self.world_size > 1:
            from phase4_distributed.checkpoint import load_state  # lazy: phase 4
            load_state(self.model, self.optimizer, state["model"], state["optimizer"])
        else:
            load_weights(self.model, state["model"])
            self.optimizer.load_state_dict(state["optimizer"])
        self.loader.load_state_dict(state["loader"])
        set_rng_state(state["rng"])
        self.step = state["step"]
        self.tokens_seen = state["metrics"].get("tokens_seen", 0)
        self.elapsed = state["metrics"].get("elapsed_s", 0.0)
        self.log(f"resumed from {path} at step {self.step}")

    # ---- the loop (2.2) ---------------------------------------------------------------------------
    def evaluate(self) -> dict[str, float]:
        return evaluate(self.model, self.val_batches, self.token_bytes, autocast=self.autocast)

    def train(self) -> dict:
        """Run from self.step to cfg.max_steps; returns the final metrics. Raises TrainingDiverged on nan."""
        cfg = self.cfg
        metrics = MetricsLogger(self.out_dir / "metrics.jsonl", resume_step=self.step if cfg.resume else None) \
            if self.is_master else None
        if metrics and self.step == 0:
            metrics.log({"kind": "config", "step": 0, **cfg.to_dict(), "model": self.model_config.to_dict(),
                         "params": self.model.num_params(), "device": str(self.device)})
        tokens_per_step = cfg.tokens_per_step * self.world_size
        progress = TrainProgress(cfg.max_steps, self.step, enabled=cfg.progress and self.is_master)
        try:
            with progress:
                while self.step < cfg.max_steps:
                    lr_mult = lr_multiplier(self.step, cfg.schedule, cfg.warmup_steps, cfg.max_steps,
                                            cfg.min_lr_frac, cfg.decay_frac)
                    set_lr(self.optimizer, lr_mult)
                    t0 = time.perf_counter()
                    micro = [next(self.loader) for _ in range(cfg.grad_accum_steps)]
                    try:
                        result = train_step(self.train_model, self.optimizer, micro, cfg.grad_clip, self.autocast,
                                            self.scaler)
                    except NonFiniteLossError as e:
                        raise self._diverged(e) from None
                    dt = time.perf_counter() - t0
                    self.step += 1
                    self.tokens_seen += tokens_per_step
                    self.elapsed += dt
                    lr = cfg.lr * lr_mult
                    self.last["train_loss"] = result.loss
                    progress.update(self.step, result.loss, lr, tokens_per_step / dt)
                    if metrics and (self.step % cfg.log_interval == 0 or self.step in (1, cfg.max_steps)):
                        metrics.log({"kind": "train", "step": self.step, "loss": result.loss, "lr": lr,
                                     "grad_norm": result.grad_norm, "tokens": self.tokens_seen,
                                     "tok_per_s": tokens_per_step / dt, "dt_ms": 1000 * dt, "elapsed_s": self.elapsed})
                    if self.step % cfg.eval_interval == 0 or self.step == cfg.max_steps:
                        val = self.evaluate()
                        self.last.update(val_loss=val["loss"], val_bpb=val["bpb"])
                        if metrics:
                            metrics.log({"kind": "val", "step": self.step, "loss": val["loss"], "bpb": val["bpb"],
                                         "tokens": self.tokens_seen})
                        if self.is_master:
                            progress.print(f"step {self.step:>6}: train {result.loss:.4f}  val {val['loss']:.4f}  "
                                           f"val bpb {val['bpb']:.4f}  lr {lr:.2e}")
                    if (cfg.checkpoint_interval and self.step % cfg.checkpoint_interval == 0) \
                            or self.step == cfg.max_steps:
                        self.save()
        finally:
            if metrics:
                metrics.close()
        return {"step": self.step, "tokens_seen": self.tokens_seen, "elapsed_s": self.elapsed, **self.last}

    def _diverged(self, err: NonFiniteLossError) -> TrainingDiverged:
        good = latest_checkpoint(self.ckpt_dir)
        where = (f"The last good checkpoint, {good}, is untouched: resume from it with --resume"
                 if good else "No checkpoint was written yet: restart")
        return TrainingDiverged(f"training stopped at step {self.step + 1}: {err}. The weights were not updated. "
                                f"{where} and a lower learning rate (now --lr={self.cfg.lr:g}), a longer warmup "
                                f"(--warmup_steps) or gradient clipping (--grad_clip=1.0, now {self.cfg.grad_clip:g}).")
