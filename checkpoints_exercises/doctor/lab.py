"""The training-doctor lab's machinery: a case, its composition root, and one run of it.

A case is a training run someone handed you because "it does not work". It is
a module of this folder that defines

    config = TrainConfig(...)        # the run's settings, in full, like examples/*.py

and, only where a config cannot express the fault, one or more of the pieces the
composition root builds, written by the person whose run it is:

    def init_model(model): ...                       # after the stack's own init
    def make_loaders(cfg, data, device): ...         # -> (train loader, val batches)
    def make_optimizer(model, cfg): ...              # -> the optimizer
    def make_scaler(cfg): ...                        # -> the fp16 loss scaler, or None (no case yet)

`build_trainer` below is phase 3's composition root (phase3_optim/train.py) read
top to bottom, with each of those four pieces taken from the case when it has
one. Nothing inside the phase packages changes: the faults come in from the
outside, as every later phase extends the Trainer (ADR 019). `run_case` claims a
fresh out_dir (an older run there is moved aside, never deleted, as --overwrite
does), trains, and writes what every run writes: metrics.jsonl, loss.png, a
checkpoint, and samples.txt when the config asks for samples.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import math
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import torch

from phase2_training.config import TrainConfig
from phase2_training.data_prep import prepare_data
from phase2_training.device import autocast_context, pick_device, seed_everything
from phase2_training.jsonl import read_jsonl
from phase2_training.out_dir import claim_out_dir
from phase2_training.plot import plot_metrics
from phase2_training.sample import write_samples
from phase2_training.train import build_loaders, build_model
from phase2_training.trainer import Trainer, TrainingDiverged
from phase3_optim.build import build_optimizer
from phase3_optim.train import make_scaler

PACKAGE = "checkpoints_exercises.doctor"
PIECES = ("init_model", "make_loaders", "make_optimizer", "make_scaler")
OUT_ROOT = Path("runs/doctor")


@dataclass
class Case:
    number: int
    name: str                               # the module name without its "caseN_" prefix
    title: str                              # the first line of the module's docstring
    config: TrainConfig
    pieces: dict[str, Callable]             # the pieces of PIECES the case replaces
    module: ModuleType

    @property
    def slug(self) -> str:
        return f"case{self.number}_{self.name}"


def all_cases() -> list[Case]:
    """Every case module of this folder (case<N>_<name>.py), in order of N."""
    folder = Path(__file__).parent
    names = sorted((m.name for m in pkgutil.iter_modules([str(folder)]) if m.name.startswith("case")),
                   key=lambda n: int(n[4:].split("_", 1)[0]))
    return [load_case(n) for n in names]


def load_case(module_name: str) -> Case:
    module = importlib.import_module(f"{PACKAGE}.{module_name}")
    number, name = module_name[4:].split("_", 1)
    pieces = {p: getattr(module, p) for p in PIECES if hasattr(module, p)}
    title = (module.__doc__ or module_name).strip().splitlines()[0]
    return Case(int(number), name, title, module.config, pieces, module)


def find_case(which: str | int) -> Case:
    """A case by number (3, "3") or name ("fp16_no_scaler", "case3_fp16_no_scaler")."""
    cases = all_cases()
    text = str(which).strip()
    for case in cases:
        if text in (str(case.number), case.name, case.slug):
            return case
    listing = ", ".join(f"{c.number} ({c.name})" for c in cases)
    raise ValueError(f"no case {which!r}: choose one of {listing}")


# ---- the composition root: phase3_optim/train.py's build_trainer, with the case's pieces ------------
def make_optimizer(model: torch.nn.Module, cfg: TrainConfig):
    """Phase 3's make_optimizer, on its readable (unfused) path: compiling the optimizer step costs more
    seconds in a fresh process than it saves in a one-minute run (phase3_optim/fused.py)."""
    return build_optimizer(model, cfg.optimizer, lr=cfg.lr, weight_decay=cfg.weight_decay,
                           betas=(cfg.beta1, cfg.beta2), fused=False)


def build_trainer(cfg: TrainConfig, data, pieces: dict[str, Callable], log: Callable = print) -> Trainer:
    """Phase 3's wiring in its order; a piece the case replaces is called instead of the stack's."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)
    seed_everything(cfg.seed)
    model = build_model(cfg, data, device)                   # phase 1's GPT, with its own init_weights
    if "init_model" in pieces:
        pieces["init_model"](model)
    optimizer = pieces.get("make_optimizer", make_optimizer)(model, cfg)
    autocast = autocast_context(cfg.dtype, device)
    scaler = pieces.get("make_scaler", make_scaler)(cfg)
    loader, val_batches = pieces.get("make_loaders", build_loaders)(cfg, data, device)
    return Trainer(cfg, data, model, optimizer, loader, val_batches, device=device, autocast=autocast,
                   scaler=scaler, log=log)


@dataclass
class CaseRun:
    out_dir: Path
    records: list[dict]                     # metrics.jsonl
    diverged: str | None                    # the trainer's message when it stopped on nan/inf
    plot: Path | None
    samples: Path | None
    trainer: Trainer

    def train(self) -> list[dict]:
        return [r for r in self.records if r.get("kind") == "train"]

    def val(self) -> list[dict]:
        return [r for r in self.records if r.get("kind") == "val"]


def run_case(case: Case, fixed: bool = False, out_dir: str | Path | None = None, data_root: str | None = None,
             overrides: dict | None = None, log: Callable = print) -> CaseRun:
    """Train `case` (or, with fixed=True, its documented fix from fixes.py) into a fresh out_dir."""
    cfg, pieces = case.config, dict(case.pieces)
    if fixed:
        from checkpoints_exercises.doctor.fixes import apply_fix  # the spoilers live apart from the cases
        cfg, pieces = apply_fix(case, cfg, pieces)
    out_dir = Path(out_dir or OUT_ROOT / (case.slug + ("-fixed" if fixed else "")))
    changes = {"out_dir": str(out_dir), "resume": False, "overwrite": True, **(overrides or {})}
    if data_root is not None:
        changes["data_root"] = data_root
    cfg = dataclasses.replace(cfg, **changes)
    with claim_out_dir(cfg.out_dir, overwrite=True, log=log):
        data = prepare_data(cfg, log=log)
        trainer = build_trainer(cfg, data, pieces, log=log)
        diverged = None
        try:
            trainer.train()
        except TrainingDiverged as e:
            diverged = str(e)
            log(f"the trainer stopped: {e}")
        metrics = out_dir / "metrics.jsonl"
        records = read_jsonl(metrics)
        plot = None
        with contextlib.suppress(ValueError):  # a run that stopped before its first log line has nothing to plot
            plot = plot_metrics(metrics, out_dir / "loss.png", title=f"{case.slug}{' (fixed)' if fixed else ''}")
        samples = None
        if cfg.sample_tokens and diverged is None:
            samples = write_samples(trainer.model, trainer.tokenizer, out_dir / "samples.txt",
                                    max_new_tokens=cfg.sample_tokens, device=trainer.device)
    return CaseRun(out_dir, records, diverged, plot, samples, trainer)


def summary_lines(result: CaseRun) -> list[str]:
    """What the runner prints after a run: where the files are and the numbers a doctor looks at first.
    No diagnosis: the same lines for every case."""
    train, val = result.train(), result.val()
    vocab = result.trainer.tokenizer.vocab_size
    lines = [f"metrics: {result.out_dir / 'metrics.jsonl'}"]
    if result.plot:
        lines.append(f"plot:    {result.plot}")
    if result.samples:
        lines.append(f"samples: {result.samples}")
    lines.append(f"ln(vocab_size) = ln({vocab}) = {math.log(vocab):.3f} nats: the loss of a uniform guess")
    losses = [float(r["loss"]) for r in train]  # a nan or inf is logged as a string
    if losses:
        lines.append(f"train loss: step {train[0]['step']} {losses[0]:.3f} -> step {train[-1]['step']} "
                     f"{losses[-1]:.3f} (min {min(losses):.3f}, max {max(losses):.3f})")
    norms = [float(r["grad_norm"]) for r in train if r.get("grad_norm") is not None]
    if norms:
        lines.append(f"grad norm (before clipping): first {norms[0]:.3g}, last {norms[-1]:.3g}, max {max(norms):.3g}")
    if val:
        lines.append(f"val loss: step {val[-1]['step']} {val[-1]['loss']:.3f}, val bits/byte {val[-1]['bpb']:.3f}")
    if result.diverged:
        lines.append(f"stopped early: {result.diverged.split('.')[0]}")
    return lines
