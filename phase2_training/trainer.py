"""The training loop: data -> model -> optimizer step, with evaluation, metrics and checkpoints.

    for step in range(start, max_steps):
        set the learning rate from the schedule               schedule.py   (2.3)
        take grad_accum_steps micro-batches, one update       step.py       (2.3)
        every log_interval: a metrics line (JSONL)            jsonl.py      (2.2)
        every eval_interval: val loss and bits per byte       evaluate.py   (2.2)
        every checkpoint_interval: an atomic checkpoint       checkpoint.py (2.4)

The Trainer builds nothing. The entry (phase2_training/train.py; phase 3's and
phase 4's extend it) builds the data, the model, the optimizer, the precision
context and loss scaler, the parallel wrapper and the checkpoint functions, in
order, and hands those objects over. So this loop is the same for one CPU core
and for FSDP on 8 GPUs: rank and world_size decide who writes (rank 0) and what
the metrics mean (validation loss averaged over ranks with `reduce_mean`).
If the loss turns nan the loop stops before the bad update, leaves the last
good checkpoint alone and says how to resume.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path

import torch

from phase0_tokenizer.data import token_bytes
from phase1_model import GPT, GPTConfig
from phase2_training.checkpoint import (
    CheckpointError,
    StateDictFns,
    latest_checkpoint,
    load_checkpoint,
    remove_stale_temp_files,
    save_checkpoint,
)
from phase2_training.config import TrainConfig
from phase2_training.data_prep import PreparedData, file_sha256
from phase2_training.device import rng_state, set_rng_state
from phase2_training.evaluate import evaluate
from phase2_training.jsonl import MetricsLogger
from phase2_training.progress import TrainProgress
from phase2_training.schedule import lr_multiplier, set_lr
from phase2_training.step import NonFiniteLossError, no_grad_sync, train_step


class TrainingDiverged(RuntimeError):
    """The loss or gradient became nan/inf; the message names the last good checkpoint and the fix."""


LOCAL_STATE = StateDictFns()  # one process: plain state_dict / load_state_dict


class Trainer:
    """The loop over objects built elsewhere (see the module docstring; phase2_training/train.py builds them).

    model: the GPT (what checkpoints save); train_model: what runs forward/backward (the model itself,
    or torch.compile / DDP / FSDP around it); loader: yields (x, y) micro-batches with state_dict();
    val_batches: fixed (x, y) batches; autocast: a zero-argument context factory; scaler: fp16 loss
    scaler or None; grad_sync(model, enabled): the gradient-reduction switch of train_step;
    state: how model/optimizer become checkpoint dicts; reduce_mean: averages a float over ranks."""

    def __init__(self, cfg: TrainConfig, data: PreparedData, model: GPT, optimizer, loader, val_batches: list,
                 *, device: torch.device, train_model: torch.nn.Module | None = None,
                 autocast: Callable = contextlib.nullcontext, scaler=None, grad_sync: Callable = no_grad_sync,
                 state: StateDictFns = LOCAL_STATE, reduce_mean: Callable[[float], float] = float,
                 rank: int = 0, world_size: int = 1, log: Callable = print):
        self.cfg, self.data, self.model, self.optimizer = cfg, data, model, optimizer
        self.loader, self.val_batches, self.device = loader, val_batches, device
        self.train_model = train_model if train_model is not None else model
        self.autocast, self.scaler, self.grad_sync = autocast, scaler, grad_sync
        self.state_fns, self.reduce_mean = state, reduce_mean
        self.rank, self.world_size = rank, world_size
        self.is_master = rank == 0  # only rank 0 writes logs, checkpoints and plots (phase 4)
        self.log = log if self.is_master else (lambda *a, **k: None)
        self.out_dir = Path(cfg.out_dir)
        self.ckpt_dir = self.out_dir / "checkpoints"
        self.tokenizer = data.tokenizer
        self.model_config = model.config
        self.token_bytes = token_bytes(self.tokenizer).to(device)
        self.step, self.tokens_seen, self.elapsed = 0, 0, 0.0
        self.last: dict = {}

    # ---- checkpoints (2.4) ------------------------------------------------------------------------
    def state(self) -> dict:
        """Everything a bit-identical resume needs. With several ranks every rank must call this:
        gathering FSDP shards or ZeRO-1 optimizer shards is a collective (ADR 018)."""
        state = {"model_config": self.model_config.to_dict(), "model": self.state_fns.model_state(self.model),
                 "step": self.step, "optimizer": self.state_fns.optimizer_state(self.model, self.optimizer),
                 "rng": rng_state(), "loader": self.loader.state_dict(), "train_config": self.cfg.to_dict(),
                 "world_size": self.world_size,
                 "tokenizer": self.data.reference(),
                 "metrics": {"tokens_seen": self.tokens_seen, "elapsed_s": self.elapsed, **self.last}}
        if self.scaler is not None:  # fp16: the loss scale is part of the run (a resume must not reset it)
            state["scaler"] = self.scaler.state_dict()
        return state

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
        state = load_checkpoint(path)  # onto the CPU: each load below moves tensors where they live
        saved = GPTConfig.from_dict(state["model_config"])
        if saved != self.model_config:
            raise CheckpointError(f"{path} holds a different model: " + "; ".join(saved.diff(self.model_config))
                                  + ". Resume with the config it was trained with.")
        if state["tokenizer"]["sha256"] != file_sha256(self.data.tokenizer_path):
            raise CheckpointError(f"{path} was trained with another tokenizer than {self.data.tokenizer_path}: "
                                  "resume with the same corpus/vocab settings")
        self.state_fns.load(self.model, self.optimizer, state["model"], state["optimizer"])
        if self.scaler is not None and "scaler" in state:
            self.scaler.load_state_dict(state["scaler"])
        self.loader.load_state_dict(state["loader"])  # in global windows: valid for any world size
        saved_world = state.get("world_size", 1)
        if saved_world != self.world_size:
            tokens = self.cfg.tokens_per_step
            self.log(f"warning: {path} was written by {saved_world} process(es), this run has {self.world_size}: "
                     f"the global batch changes from {tokens * saved_world:,} to {tokens * self.world_size:,} "
                     "tokens per step (raise or lower --grad_accum_steps to keep it)")
        set_rng_state(state["rng"])
        self.step = state["step"]
        self.tokens_seen = state["metrics"].get("tokens_seen", 0)
        self.elapsed = state["metrics"].get("elapsed_s", 0.0)
        self.log(f"resumed from {path} at step {self.step}")

    # ---- the loop (2.2) ---------------------------------------------------------------------------
    def evaluate(self) -> dict[str, float]:
        """Val loss and bits per byte on this rank's batches, averaged over ranks (equal-sized shards)."""
        out = evaluate(self.model, self.val_batches, self.token_bytes, autocast=self.autocast)
        return {k: self.reduce_mean(v) for k, v in out.items()}

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
                                            self.scaler, self.grad_sync)
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
