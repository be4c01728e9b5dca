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
The NaN guard (2.3) has two halves. Before the update, train_step checks the loss and
the gradient norm (a nan there would poison every weight). After it, at every log and
checkpoint step, `weights_finite` checks the parameters with ONE fused reduction and one
host sync (the update itself can overflow: --lr=1e6 without clipping). So a checkpoint is
never written with nan/inf weights, every file on disk is finite, and the message on
divergence names the newest checkpoint that was verified (checksum and finite weights).
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
    LOCAL_STATE,
    CheckpointError,
    StateDictFns,
    latest_checkpoint,
    newest_good_checkpoint,
    newest_verified,
    remove_stale_temp_files,
    save_checkpoint,
)
from phase2_training.config import ConfigError, TrainConfig
from phase2_training.data_prep import PreparedData, file_sha256
from phase2_training.evaluate import evaluate
from phase2_training.jsonl import MetricsLogger
from phase2_training.progress import TrainProgress
from phase2_training.resume import capture_run_state, restore_run_state
from phase2_training.schedule import lr_multiplier, set_lr
from phase2_training.step import NonFiniteLossError, no_grad_sync, train_step


class TrainingDiverged(RuntimeError):
    """The loss or gradient became nan/inf; the message names the last good checkpoint and the fix."""


def local_tensors(params) -> list[torch.Tensor]:
    """This process's part of each parameter (an FSDP2 DTensor's local shard, else the tensor)."""
    return [p.to_local() if hasattr(p, "to_local") else p for p in params]


def all_finite(tensors: list[torch.Tensor]) -> bool:
    """True if no tensor holds nan/inf. The fast path is one fused reduction and one host sync for the lot:
    torch._foreach_norm (one multi-tensor kernel on GPUs; 0.08 ms for the demo's 0.9M weights on a CPU
    core), stacked, isfinite. A nan or inf anywhere makes its norm nan/inf. The 2-norm of huge but finite
    weights (|w| ~ 1e20) can overflow too, so only when the fast path says "not finite" is every element
    checked exactly: the rare path may be slow, the common one must not be."""
    tensors = [t.detach() for t in tensors if t.numel()]
    if not tensors:
        return True
    by_device: dict = {}
    for t in tensors:  # foreach kernels take one device (and dtype) per call
        by_device.setdefault((t.device, t.dtype), []).append(t)
    flags = [torch.isfinite(torch.stack(torch._foreach_norm(group))).all() for group in by_device.values()]
    if bool(torch.stack([f.to(flags[0].device) for f in flags]).all()):  # the one host sync
        return True
    return all(bool(torch.isfinite(t).all()) for t in tensors)


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
        self.check_weights = True  # the after-update half of the NaN guard (bench/bench_guard.py turns it off)

    # ---- checkpoints (2.4) ------------------------------------------------------------------------
    def state(self) -> dict:
        """Everything a bit-identical resume needs. With several ranks every rank must call this:
        gathering FSDP shards or ZeRO-1 optimizer shards is a collective (ADR 018)."""
        state = {"model_config": self.model_config.to_dict(),  # phase 1's key: any checkpoint loads as a model
                 **capture_run_state(self.model, self.optimizer, self.loader, self.step, self.state_fns),
                 "train_config": self.cfg.to_dict(), "world_size": self.world_size,
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

    def weights_finite(self) -> bool:
        """Are all parameters finite, on every rank? One fused reduction here (all_finite), plus one
        reduce_mean across ranks so all ranks agree and stop together (free with one process)."""
        local = all_finite(local_tensors(self.model.parameters()))
        return self.reduce_mean(0.0 if local else 1.0) == 0.0

    def resume(self) -> None:
        remove_stale_temp_files(self.ckpt_dir)  # leftovers of a save that was killed
        if latest_checkpoint(self.ckpt_dir) is None:
            raise CheckpointError(f"--resume, but {self.ckpt_dir} holds no checkpoint: drop --resume to start fresh")
        # the newest checkpoint that verifies (checksum, finite weights); each skipped one is named with why
        try:
            path, state = newest_verified(self.ckpt_dir, log=lambda line: self.log(f"warning: {line}"))
        except CheckpointError as e:
            raise CheckpointError(f"--resume, but {e}. Start a fresh run with a new --out_dir") from None
        # (state is on the CPU: each load below moves tensors where they live)
        self._check_compatible(path, state)
        saved = GPTConfig.from_dict(state["model_config"])
        if saved != self.model_config:
            raise CheckpointError(f"{path} holds a different model: " + "; ".join(saved.diff(self.model_config))
                                  + ". Resume with the config it was trained with.")
        if state["tokenizer"]["sha256"] != file_sha256(self.data.tokenizer_path):
            raise CheckpointError(f"{path} was trained with another tokenizer than {self.data.tokenizer_path}: "
                                  "resume with the same corpus/vocab settings")
        try:  # weights, optimizer, loader position, every RNG, step (resume.py)
            self.step = restore_run_state(state, self.model, self.optimizer, self.loader, self.state_fns)
        except (KeyError, ValueError, RuntimeError, IndexError) as e:  # a state of another shape or optimizer
            raise CheckpointError(f"{path}: its optimizer or loader state does not fit this run "
                                  f"({type(e).__name__}: {e}); resume with the settings it was trained with") from None
        self._apply_new_hyperparameters(path, state["train_config"])
        if self.scaler is not None and "scaler" in state:
            self.scaler.load_state_dict(state["scaler"])  # fp16: the loss scale continues where it was
        elif self.scaler is not None:
            self.log(f"warning: {path} holds no loss-scaler state (it was not an fp16 run): the scale starts afresh")
        self.tokens_seen = state["metrics"].get("tokens_seen", 0)
        self.elapsed = state["metrics"].get("elapsed_s", 0.0)
        self.log(f"resumed from {path} at step {self.step}")

    def _check_compatible(self, path: Path, state: dict) -> None:
        """Refuse a resume whose optimizer differs (its state cannot carry over); announce a changed
        global batch (world size, batch size or accumulation) or precision, which a run can survive."""
        saved = state["train_config"]
        if saved.get("optimizer", "adamw") != self.cfg.optimizer:
            raise ConfigError(f"{path} was trained with --optimizer={saved.get('optimizer', 'adamw')}, this run "
                              f"asks for --optimizer={self.cfg.optimizer}: one optimizer's state (moments, steps) "
                              f"does not carry over to another. Resume with --optimizer={saved.get('optimizer')}, "
                              "or start a fresh run in a new --out_dir")
        saved_world = state.get("world_size", 1)
        before = (saved.get("batch_size", self.cfg.batch_size) * saved.get("grad_accum_steps", 1)
                  * state["model_config"].get("block_size", self.cfg.block_size) * saved_world)
        now = self.cfg.tokens_per_step * self.world_size
        if before != now:
            self.log(f"warning: {path} was written by {saved_world} process(es), this run has {self.world_size}: "
                     f"the global batch changes from {before:,} to {now:,} tokens per step (processes x batch_size "
                     f"x grad_accum_steps: {saved_world} x {saved.get('batch_size')} x "
                     f"{saved.get('grad_accum_steps')} then, {self.world_size} x {self.cfg.batch_size} x "
                     f"{self.cfg.grad_accum_steps} now); change --grad_accum_steps to keep it")
        if saved.get("dtype", "fp32") != self.cfg.dtype:
            self.log(f"warning: {path} was trained in {saved.get('dtype')}, this run uses {self.cfg.dtype}")

    def _apply_new_hyperparameters(self, path: Path, saved: dict) -> None:
        """The optimizer state brings back the saved run's lr and weight decay (param_groups); a resume
        with --lr or --weight_decay on the command line (the fix after a divergence) must use the new ones."""
        old_lr, old_wd = saved.get("lr", self.cfg.lr), saved.get("weight_decay", self.cfg.weight_decay)
        for group in self.optimizer.param_groups:
            if old_lr != self.cfg.lr:  # keep each group's own scale (Muon, lr_scales): rescale, not overwrite
                for key in ("initial_lr", "lr"):
                    if key in group:
                        group[key] = group[key] * self.cfg.lr / old_lr
            if old_wd != self.cfg.weight_decay and group.get("weight_decay", 0.0) > 0:  # no-decay groups stay 0
                group["weight_decay"] = self.cfg.weight_decay
        if old_lr != self.cfg.lr or old_wd != self.cfg.weight_decay:
            self.log(f"resuming {path} with lr {old_lr:g} -> {self.cfg.lr:g}, weight_decay {old_wd:g} -> "
                     f"{self.cfg.weight_decay:g}")

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
                    log_step = self.step % cfg.log_interval == 0 or self.step in (1, cfg.max_steps)
                    save_step = (cfg.checkpoint_interval and self.step % cfg.checkpoint_interval == 0) \
                        or self.step == cfg.max_steps
                    if self.check_weights and (log_step or save_step) and not self.weights_finite():
                        raise self._diverged(NonFiniteLossError(
                            "the update made the weights non-finite (nan/inf)"), updated=True)
                    if metrics and log_step:
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
                    if save_step:
                        self.save()  # weights verified finite just above: no poisoned checkpoint is ever written
        finally:
            if metrics:
                metrics.close()
        return {"step": self.step, "tokens_seen": self.tokens_seen, "elapsed_s": self.elapsed, **self.last}

    def _diverged(self, err: NonFiniteLossError, updated: bool = False) -> TrainingDiverged:
        """The error to stop with: names the newest checkpoint that verifies (checksum, finite weights)."""
        good = newest_good_checkpoint(self.ckpt_dir) if self.is_master else None
        where = (f"The newest checkpoint verified finite, {good[0]}, is untouched: continue from it with --resume,"
                 if good else "No verified checkpoint was written yet: restart,")
        step = self.step if updated else self.step + 1
        what = "Nothing was saved after the bad update" if updated else "This step's update was not applied"
        return TrainingDiverged(f"training stopped at step {step}: {err}. {what}. "
                                f"{where} with a lower learning rate (now --lr={self.cfg.lr:g}), a longer warmup "
                                f"(--warmup_steps) or gradient clipping (--grad_clip=1.0, now {self.cfg.grad_clip:g}).")
