"""The CPU speedrun (`make speedrun`): the best model the course can train in a fixed wall-clock budget.

    python -m phase3_optim.speedrun                          # 600 s, examples/speedrun.py -> runs/speedrun/
    python -m phase3_optim.speedrun --budget_s 120           # a short trial (a record needs the full 600 s)
    python -m phase3_optim.speedrun --lr=0.01 --batch_size=32    # any TrainConfig --key=value override

The rules (docs/speedrun.md keeps them and the leaderboard):
- The clock starts when the process starts (Python and torch imports included) and stops
  after the final evaluation; everything in between counts: corpus, tokenizer training,
  shards, model, training, evaluation.
  Nothing is reused from an earlier run: the data (and torch.compile's cache) are built
  afresh inside out_dir, and out_dir is emptied first.
- The held-out text is fixed: corpus "asv", every document, val_fraction 0.05 (3 of the
  66 books, 217,791 bytes). The tokenizer may only read text before the first val book,
  so no part of the model, tokenizer included, has seen the text it is scored on.
- The score is bits per byte over the WHOLE val split: every val token is predicted
  once, whatever block_size or batch_size the entry uses. Bits per byte does not depend
  on the tokenizer, so vocabularies of any size compete fairly (commit 2.1).

How training stops on time with phase 3's trainer untouched (python -m phase3_optim.train
builds it; this file only wraps its loader): warmup-stable-decay needs the run length only
for the decay at the end (commit 2.3). So `OnTime` sits between the Trainer and its loader,
and at the start of every step measures the recent step time and re-plans cfg.max_steps
(which the loop reads every step) so that the decay ends when the training time does.
Once the decay has begun the plan grows by at most one step per step: the lr never rises again.
If the box slows down so much that the time runs out anyway, OnTime stops training
(TimeUp) and the model is scored as it is.

Exit status: 0 done within the budget (1 s of slack for the last eval's estimate), 1 over
budget or diverged, 2 bad config or a rule broken.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import statistics
import sys
import time
from collections import deque
from pathlib import Path

import torch

from phase0_tokenizer.corpus import load_documents
from phase0_tokenizer.data import TokenDataset, is_val_document
from phase1_model import CheckpointError, ConfigError
from phase2_training.config import TrainConfig, load_config
from phase2_training.data_prep import prepare_data
from phase2_training.evaluate import evaluate
from phase2_training.schedule import wsd_decay_steps
from phase2_training.trainer import TrainingDiverged
from phase3_optim.train import build_trainer

DEFAULT_CONFIG = "examples/speedrun.py"
DEFAULT_BUDGET_S = 600.0
HELD_OUT = {"corpus": "asv", "max_bytes": None, "val_fraction": 0.05}  # what fixes the val split
MARKER = "speedrun.json"         # written first and last: marks an out_dir this entry may empty
SLACK_S = 1.0                    # a run may end this much past the budget and still count


class TimeUp(Exception):
    """Raised by OnTime when the training time is over before the planned step count is reached."""


# ---- the rules ----------------------------------------------------------------------------------------
def train_prefix_bytes(cfg: TrainConfig) -> int:
    """UTF-8 bytes of the corpus text (documents joined as data_prep joins them) before the first val document."""
    docs = load_documents(cfg.corpus, max_bytes=cfg.max_bytes)
    first_val = next(i for i in range(len(docs)) if is_val_document(i, cfg.val_fraction))
    return len("\n\n".join(docs[:first_val]).encode()) if first_val else 0


def check_rules(cfg: TrainConfig) -> None:
    """ConfigError naming the rule when cfg would change the held-out text or show it to the tokenizer."""
    for key, value in HELD_OUT.items():
        if getattr(cfg, key) != value:
            raise ConfigError(f"{key}={getattr(cfg, key)!r}: the speedrun's val split is fixed ({key}={value!r}); "
                              "records are comparable only on the same held-out text (docs/speedrun.md)")
    limit = train_prefix_bytes(cfg)
    if cfg.tokenizer_bytes is None or cfg.tokenizer_bytes > limit:
        raise ConfigError(f"tokenizer_bytes={cfg.tokenizer_bytes!r}: the tokenizer may read only the text before "
                          f"the first val document, at most {limit:,} bytes (--tokenizer_bytes={limit})")


def fresh_out_dir(out_dir: Path) -> None:
    """Empty out_dir if an earlier speedrun made it (or it is empty); refuse to touch anything else."""
    if out_dir.exists():
        if not out_dir.is_dir() or (any(out_dir.iterdir()) and not (out_dir / MARKER).is_file()):
            raise ConfigError(f"out_dir {out_dir} exists and was not made by a speedrun: "
                              "choose another --out_dir (the speedrun empties its out_dir first)")
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    (out_dir / MARKER).write_text(json.dumps({"status": "running"}) + "\n")


def process_age_s() -> float:
    """Seconds since this process started, interpreter and imports included (Linux /proc; elsewhere 0,
    and the clock starts at main())."""
    try:
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        started = int(fields[19]) / os.sysconf("SC_CLK_TCK")  # field 22, starttime, in ticks after boot
        return max(0.0, float(Path("/proc/uptime").read_text().split()[0]) - started)
    except (OSError, ValueError, IndexError, AttributeError):
        return 0.0


# ---- stopping on time ---------------------------------------------------------------------------------
def decay_start(cfg: TrainConfig) -> int:
    """The first step of WSD's decay (the schedule lr_multiplier runs) for cfg.max_steps."""
    return cfg.max_steps - wsd_decay_steps(cfg.max_steps, cfg.warmup_steps, cfg.decay_frac)


class OnTime:
    """The Trainer's loader, re-planning cfg.max_steps at each step so training ends at `train_until`.

    Step time = the median of the last `window` steps (a median: an eval or a burst of load on a
    shared box is one slow step, not the new normal); the first `warm` steps (allocation, compiling)
    are not measured. The plan is steps done + the whole steps that fit in the time left."""

    def __init__(self, loader, trainer, train_until: float, window: int = 20, warm: int = 2):
        self.loader, self.trainer, self.cfg = loader, trainer, trainer.cfg
        self.train_until, self.warm = train_until, warm
        self.stamps: deque[float] = deque(maxlen=window + 1)
        self.calls = 0

    def __iter__(self):
        return self

    def __next__(self):
        if self.calls % self.cfg.grad_accum_steps == 0:  # the first micro-batch of a step
            self.plan(self.trainer.step, time.perf_counter())
        self.calls += 1
        return next(self.loader)

    def __getattr__(self, name):  # state_dict, load_state_dict, ...: the wrapped loader's
        return getattr(self.loader, name)

    def step_time(self) -> float | None:
        times = [b - a for a, b in zip(self.stamps, list(self.stamps)[1:])]
        return statistics.median(times) if times else None

    def plan(self, step: int, now: float) -> None:
        if now >= self.train_until:
            raise TimeUp(f"time is up at step {step} of {self.cfg.max_steps} planned")
        if step >= self.warm:
            self.stamps.append(now)
        dt = self.step_time()
        if dt is None:
            return
        cfg = self.cfg
        planned = step + max(1, int((self.train_until - now) / dt))
        if cfg.schedule == "wsd" and step >= decay_start(cfg):
            # decaying, lr ~ (max_steps - step): growing max_steps by at most one per step holds the lr
            # still while more steps fit (the box got faster); shrinking it speeds the decay up. Never rises.
            planned = min(planned, cfg.max_steps + 1)
        cfg.max_steps = planned
        cfg.warmup_steps = min(cfg.warmup_steps, planned)


# ---- the score ----------------------------------------------------------------------------------------
def full_val_batches(trainer, batch_size: int = 32) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Every val token as a target exactly once: windows of block_size (the last one may be shorter)."""
    val = TokenDataset(trainer.data.data_dir, "val")
    tokens = torch.from_numpy(val[0:len(val)].astype("int64"))
    T, n = trainer.cfg.block_size, len(tokens)
    windows = [(tokens[s:min(s + T, n - 1)], tokens[s + 1:s + T + 1]) for s in range(0, n - 1, T)]
    full = [w for w in windows if len(w[0]) == T]
    batches = [tuple(torch.stack(part).to(trainer.device) for part in zip(*full[i:i + batch_size]))
               for i in range(0, len(full), batch_size)]
    return batches + [(x[None].to(trainer.device), y[None].to(trainer.device)) for x, y in windows if len(x) < T]


def full_val_metrics(trainer, batches: list) -> dict:
    """Loss and bits per byte over full_val_batches, with how many tokens and bytes they hold."""
    targets = torch.cat([y.flatten() for _, y in batches]).cpu()
    return {**evaluate(trainer.model, batches, trainer.token_bytes, autocast=trainer.autocast),
            "tokens": len(targets), "bytes": int(trainer.token_bytes.cpu()[targets].sum())}


def eval_seconds(trainer, batches: list) -> float:
    """A measured estimate of the evaluations left after training: the trainer's last one (its val_batches)
    and ours (`batches`). Each batch kind is timed on one batch, the fastest of three (the first allocates;
    a burst of load on a shared box is not the cost), times the batch count."""
    def one(batch) -> float:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            evaluate(trainer.model, [batch], trainer.token_bytes, autocast=trainer.autocast)
            times.append(time.perf_counter() - t0)
        return min(times)
    return one(batches[0]) * len(batches) + one(trainer.val_batches[0]) * len(trainer.val_batches)


# ---- the run ------------------------------------------------------------------------------------------
def speedrun(cfg: TrainConfig, budget_s: float, t_start: float, log=print) -> dict:
    """Data, model and training inside the budget that started at t_start; returns the result record."""
    def clock() -> float:
        return time.perf_counter() - t_start

    out = Path(cfg.out_dir)
    cfg.data_root = str(out / "data")                                  # fresh data: no earlier run's cache
    os.environ["TORCHINDUCTOR_CACHE_DIR"] = str((out / "inductor").resolve())  # fresh compiled kernels too
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    data = prepare_data(cfg, log=log)
    log(f"[{clock():6.1f} s] data ready in {data.data_dir}")
    trainer = build_trainer(cfg, log=log, data=data)                  # phase 3's composition root
    score_batches = full_val_batches(trainer)
    reserve = 1.5 * eval_seconds(trainer, score_batches) + 2.0   # the trainer's last eval and save, then ours
    train_until = t_start + budget_s - reserve
    trainer.loader = OnTime(trainer.loader, trainer, train_until)
    log(f"[{clock():6.1f} s] model: {trainer.model.num_params():,} parameters, optimizer "
        f"{getattr(trainer.optimizer, 'describe', lambda: cfg.optimizer)()}; training until "
        f"{train_until - t_start:.0f} s ({reserve:.0f} s kept for the final evaluation)")
    stopped = "schedule"
    try:
        summary = trainer.train()
    except TimeUp as e:
        stopped = "clock"
        log(f"[{clock():6.1f} s] {e}: scoring the model as it is (the lr decay did not finish)")
        summary = {"step": trainer.step, "tokens_seen": trainer.tokens_seen, "elapsed_s": trainer.elapsed}
    log(f"[{clock():6.1f} s] trained {summary['step']} steps, {summary['tokens_seen']:,} tokens; "
        f"evaluating the whole val split...")
    final = full_val_metrics(trainer, score_batches)
    wall = clock()
    return {"bpb": final["bpb"], "val_loss": final["loss"], "val_tokens": final["tokens"],
            "val_bytes": final["bytes"], "wall_s": wall, "budget_s": budget_s,
            "within_budget": wall <= budget_s + SLACK_S,
            "steps": summary["step"], "tokens_seen": summary["tokens_seen"], "train_s": summary["elapsed_s"],
            "stopped_by": stopped, "params": trainer.model.num_params(),
            "data_s": data.timings.get("tokenizer_s", 0.0) + data.timings.get("shards_s", 0.0),
            "machine": f"{platform.machine()} {platform.system()}, {torch.get_num_threads()} torch threads, "
                       f"torch {torch.__version__}",
            "config": {**cfg.to_dict(), "max_steps": summary["step"]}}


def main(argv: list[str] | None = None, t_start: float | None = None) -> int:
    """The command line; t_start (a time.perf_counter() value) defaults to when this process started."""
    if t_start is None:
        t_start = time.perf_counter() - process_age_s()  # the clock started with the process
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Any other --key=value is a TrainConfig override (see "
                                            "python -m phase3_optim.train --help).")
    parser.add_argument("--config", default=DEFAULT_CONFIG, help=f"config file (default {DEFAULT_CONFIG})")
    parser.add_argument("--budget_s", type=float, default=DEFAULT_BUDGET_S,
                        help="wall-clock budget in seconds, data and evaluation included (default 600)")
    args, overrides = parser.parse_known_args(argv)
    try:
        if not (math.isfinite(args.budget_s) and args.budget_s > 0):
            raise ConfigError(f"--budget_s={args.budget_s}: must be a finite positive number of seconds")
        cfg = load_config(args.config, overrides)
        check_rules(cfg)
        fresh_out_dir(Path(cfg.out_dir))
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        result = speedrun(cfg, args.budget_s, t_start)
    except (TrainingDiverged, CheckpointError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except ValueError as e:  # a ConfigError found while building (a model size the config cannot make, ...)
        print(f"error: {e}", file=sys.stderr)
        return 2
    (Path(cfg.out_dir) / MARKER).write_text(json.dumps({"status": "done", **result}, indent=1) + "\n")
    verdict = "within" if result["within_budget"] else "OVER"
    print(f"speedrun: val bits per byte {result['bpb']:.4f} on the whole val split ({result['val_bytes']:,} bytes); "
          f"wall {result['wall_s']:.1f} s, {verdict} the {args.budget_s:g} s budget; {result['steps']} steps, "
          f"{result['params']:,} parameters; result in {Path(cfg.out_dir) / MARKER}")
    return 0 if result["within_budget"] else 1


if __name__ == "__main__":
    sys.exit(main())
