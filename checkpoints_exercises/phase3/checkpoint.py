"""Checkpoint 2-3: overfit 1000 sentences with AdamW and with Muon, same budget; PASS when both reach
loss < 0.1. Prints steps-to-target for each and saves a plot of both curves.

    make checkpoint3                    # your phase-3 code (exercises 3.1 and 3.2 must be done)
    IMPL=reference make checkpoint3     # the reference
    python -m checkpoints_exercises.phase3.checkpoint --max-steps 400 --plot runs/checkpoint3/curves.png

The task and the loop are phase 2's (checkpoints_exercises.phase2.overfit: the first 1000 sentences of 3-12 words
of the ASV Bible, packed into fixed rows, a 2-layer nanochat-style GPT); only the optimizer changes.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import torch

from checkpoints_exercises import parse_checkpoint_args
from tools.impl import learner_todo, load_impl

# Per-optimizer learning rates for this task (a small sweep, see docs/checkpoints/phase3-checkpoint.md).
# Muon uses Liu et al.'s "match_rms_adamw" scaling, so its lr is on AdamW's scale.
LRS = {"adamw": 1e-2, "muon": 1e-2}


def make_optimizer(name: str, model, lr: float, impl: str):
    """AdamW or Muon+AdamW built from the chosen implementation (your exercises or the reference)."""
    groups = load_impl("phase3_optim.param_groups", impl).param_groups(model, weight_decay=0.0, lr=lr)
    if name == "adamw":
        return load_impl("phase3_optim.adam", impl).AdamW(groups, lr=lr, betas=(0.9, 0.95), weight_decay=0.0)
    muon = load_impl("phase3_optim.muon", impl)
    for g in groups:
        g["use_muon"] = g["kind"] == "matrix"
        g.update(adjust_lr_fn="match_rms_adamw") if g["use_muon"] else g.update(betas=(0.9, 0.95))
    return muon.MuonAdamW(groups)


def plot(results: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6, 4))
    for name, r in results.items():
        ax.plot(r["epoch_end_steps"], r["history"], marker=".", label=f"{name} (lr {r['lr']:g})")
    ax.axhline(0.1, color="gray", linestyle="--", linewidth=1, label="target 0.1")
    ax.set_yscale("log")
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("epoch mean training loss")
    ax.set_title("Overfitting 1000 sentences: AdamW vs Muon")
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-steps", type=int, default=600, help="step budget per optimizer (the same for both)")
    parser.add_argument("--time-limit", type=float, default=300.0, help="seconds per optimizer")
    parser.add_argument("--plot", default="runs/checkpoint3/overfit_adamw_vs_muon.png")
    parser.add_argument("--threads", type=int, default=2)
    args = parse_checkpoint_args(parser, argv, "phase3_optim")
    from checkpoints_exercises.phase2.overfit import OverfitConfig, build, overfit  # phase 2's task and loop
    if args.max_steps < OverfitConfig.warmup_steps:
        parser.error(f"--max-steps must be at least the {OverfitConfig.warmup_steps} warmup steps")
    impl = args.impl
    if impl == "learner":
        todo = [ex for ex in learner_todo("3") if ex.commit in ("3.1", "3.2")]
        if todo:
            print("Checkpoint 3 trains with YOUR optimizers, and these exercises are still stubs:")
            for ex in todo:
                print(f"  · {ex.commit} {ex.name:<22} {ex.stub_path.relative_to(ex.path.parent.parent)}")
            print("Finish them (make phase3.1, make phase3.2), or run the reference: IMPL=reference make checkpoint3")
            return 1
    torch.set_num_threads(args.threads)

    cfg = replace(OverfitConfig(), batch_size=16, max_steps=args.max_steps, time_limit_s=args.time_limit)
    print(f"Checkpoint 2-3 ({impl} code): overfit {cfg.sentences} sentences to loss < {cfg.target_loss}, "
          f"AdamW vs Muon, budget {cfg.max_steps} steps / {cfg.time_limit_s:g} s each")
    results = {}
    for name in ("adamw", "muon"):
        setup = build(cfg)  # same data, same initial weights (same seed) for both
        opt = make_optimizer(name, setup.model, LRS[name], impl)
        r = overfit(setup, opt, log=lambda line, n=name: print(f"  {n:<5} {line}", flush=True))
        per_epoch = -(-len(setup.x) // cfg.batch_size)
        results[name] = dict(lr=LRS[name], reached=r.reached, timed_out=r.timed_out, steps=r.steps,
                             seconds=round(r.seconds, 1),
                             loss=r.loss, history=r.history,
                             epoch_end_steps=[per_epoch * (i + 1) for i in range(len(r.history))])
    print(f"\n{'optimizer':<10}{'lr':>8}{'reached':>9}{'steps':>7}{'seconds':>9}{'final loss':>12}")
    for name, r in results.items():
        print(f"{name:<10}{r['lr']:>8g}{str(r['reached']):>9}{r['steps']:>7}{r['seconds']:>9}{r['loss']:>12.4f}")
    path = Path(args.plot)
    plot(results, path)
    path.with_suffix(".json").write_text(json.dumps(results, indent=1))
    print(f"plot: {path}  (data: {path.with_suffix('.json')})")
    ok = all(r["reached"] for r in results.values())
    if ok:
        a, m = results["adamw"]["steps"], results["muon"]["steps"]
        print(f"PASS: both below {cfg.target_loss}; steps to target AdamW {a}, Muon {m} ({a / m:.2f}x)")
    elif any(r["timed_out"] for r in results.values()):  # the clock, not the optimizer, stopped the run
        slow = [n for n, r in results.items() if r["timed_out"]]
        print(f"NOT FINISHED: {', '.join(slow)} ran out of the {cfg.time_limit_s:g} s time limit with steps left; "
              f"this machine is slower or busier than 2 free cores: rerun with --time-limit "
              f"{4 * cfg.time_limit_s:g}, or compare IMPL=reference on the same machine")
    else:
        missed = [n for n, r in results.items() if not r["reached"]]
        print(f"FAIL: {', '.join(missed)} did not reach loss < {cfg.target_loss} within the budget "
              "(check the optimizer against the phase-3 tests: make phase3.1 / make phase3.2)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
