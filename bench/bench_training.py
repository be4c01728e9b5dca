"""Benchmark: time to pass checkpoint 2 (overfit 1000 sentences to loss < 0.1), and demo training tokens/s.

    python -m bench.bench_training                  # both, 2 threads (the goal: checkpoint 2 in < 60 s on 2 cores)
    python -m bench.bench_training --only overfit --threads 1
    python -m bench.bench_training --quick          # seconds: a smoke run for CI (tiny sizes, no timing goal)

1. overfit: checkpoints_exercises.phase2.overfit with the checkpoint-2 settings (reference code, AdamW):
   steps, epochs, wall seconds and CPU seconds to reach loss < 0.1. CPU seconds are printed too
   because on a shared machine wall time measures the neighbours as much as the code.
2. demo throughput: `--steps` training steps of examples/demo_cpu.py's model and batch
   (data prepared first, untimed), reported as tokens/s over the steps after a short warmup.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import sys
import tempfile
import time

import torch


def bench_overfit(quick: bool) -> dict:
    from checkpoints_exercises.phase2.overfit import OverfitConfig, build, overfit
    from phase2_training.optimizer import param_groups
    cfg = OverfitConfig(sentences=100, n_layer=1, n_embd=32, max_steps=20) if quick else OverfitConfig()
    setup = build(cfg)
    opt = torch.optim.AdamW(param_groups(setup.model, 0.0), lr=cfg.lr, betas=(0.9, 0.95))
    cpu0 = time.process_time()
    r = overfit(setup, opt)
    return {"reached": r.reached, "steps": r.steps, "epochs": r.epochs, "wall_s": r.seconds,
            "cpu_s": time.process_time() - cpu0, "loss": r.loss, "tokens": setup.x.numel()}


def bench_demo_throughput(steps: int, quick: bool, data_root: str) -> dict:
    from bench.demo_config import demo_config
    from phase2_training.schedule import lr_multiplier, set_lr
    from phase2_training.step import train_step
    from phase3_optim.train import build_trainer  # the demo's own wiring: its optimizer, precision, compile
    cfg = demo_config(data_root, 0, quick)  # threads=0: keep the count main() set
    with tempfile.TemporaryDirectory() as tmp:
        trainer = build_trainer(dataclasses.replace(cfg, out_dir=tmp), log=lambda *a, **k: None)
        times = []  # the trainer's own loop, minus logging, evals and checkpoints
        for step in range(steps + 3):
            set_lr(trainer.optimizer, lr_multiplier(step, cfg.schedule, cfg.warmup_steps, cfg.max_steps,
                                                    cfg.min_lr_frac, cfg.decay_frac))
            t = time.perf_counter()
            micro = [next(trainer.loader) for _ in range(cfg.grad_accum_steps)]
            train_step(trainer.train_model, trainer.optimizer, micro, cfg.grad_clip, trainer.autocast,
                       trainer.scaler, trainer.grad_sync)
            times.append(time.perf_counter() - t)
        timed = times[3:]
        return {"params": trainer.model.num_params(), "tokens_per_step": cfg.tokens_per_step,
                "tokens_per_s": cfg.tokens_per_step * len(timed) / sum(timed), "steps": len(timed)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["overfit", "demo"], default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--steps", type=int, default=30, help="timed demo steps")
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks that it runs, times nothing useful")
    parser.add_argument("--data_root", default="runs/data")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(f"machine: {platform.machine()} {platform.system()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    if args.only in (None, "overfit"):
        r = bench_overfit(args.quick)
        status = "PASS" if r["reached"] else "not reached"
        print(f"checkpoint 2 (overfit {r['tokens']:,} tokens to loss < 0.1): {status} in {r['steps']} steps "
              f"({r['epochs']} epochs), {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} s CPU; goal < 60 s wall on 2 cores")
    if args.only in (None, "demo"):
        r = bench_demo_throughput(args.steps if not args.quick else 3, args.quick, args.data_root)
        print(f"demo model ({r['params']:,} parameters, {r['tokens_per_step']:,} tokens/step): "
              f"{r['tokens_per_s']:,.0f} tokens/s over {r['steps']} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
