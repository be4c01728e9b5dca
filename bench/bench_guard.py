"""Benchmark: what the NaN guard's after-update check (Trainer.weights_finite) costs per training step.

    python -m bench.bench_guard                 # examples/demo_cpu.py's model and batch, 40 steps each way
    python -m bench.bench_guard --steps 100 --threads 1
    python -m bench.bench_guard --quick         # seconds: a smoke run (tiny sizes, no timing goal)

One run, one trainer: steps alternate between "train_step only" and "train_step, then weights_finite()"
(so both halves see the same machine load, the same data order and the same lr schedule), after a few
warmup steps. It prints the median of each, their ratio, the check's own median time, and the cost
amortised over the demo's log_interval (the trainer checks only at log and checkpoint steps).
Data is prepared first (cached under --data_root), untimed.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
import time

import torch


def bench_guard(steps: int, quick: bool, data_root: str, threads: int) -> dict:
    from bench.demo_config import demo_config
    from phase2_training.schedule import lr_multiplier, set_lr
    from phase2_training.step import train_step
    from phase2_training.train import build_trainer
    cfg = demo_config(data_root, threads, quick)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = build_trainer(dataclasses.replace(cfg, out_dir=tmp), log=lambda *a, **k: None)
        plain, guarded, check = [], [], []
        for step in range(2 * steps + 4):
            set_lr(trainer.optimizer, lr_multiplier(step, cfg.schedule, cfg.warmup_steps, cfg.max_steps,
                                                    cfg.min_lr_frac, cfg.decay_frac))
            t0 = time.perf_counter()
            micro = [next(trainer.loader) for _ in range(cfg.grad_accum_steps)]
            train_step(trainer.train_model, trainer.optimizer, micro, cfg.grad_clip)
            t1 = time.perf_counter()
            if step % 2:
                assert trainer.weights_finite()
            t2 = time.perf_counter()
            if step < 4:  # warmup: first-call allocations and caches
                continue
            (guarded if step % 2 else plain).append(t2 - t0)
            if step % 2:
                check.append(t2 - t1)
        med_plain, med_guarded, med_check = (statistics.median(x) for x in (plain, guarded, check))
        return {"params": trainer.model.num_params(), "n_tensors": len(list(trainer.model.parameters())),
                "steps_each": len(plain), "step_ms": 1e3 * med_plain, "step_with_check_ms": 1e3 * med_guarded,
                "ratio": med_guarded / med_plain, "check_ms": 1e3 * med_check,
                "check_share": med_check / med_plain, "log_interval": cfg.log_interval,
                "amortised_share": med_check / med_plain / cfg.log_interval}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Cost of the NaN guard's weights-finite check per step.")
    parser.add_argument("--steps", type=int, default=40, help="timed steps of each kind (with and without)")
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads (the demo uses 2)")
    parser.add_argument("--data_root", default="runs/data")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke run")
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error("--steps must be >= 1")
    r = bench_guard(args.steps, args.quick, args.data_root, args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s); model {r['params']:,} parameters in "
          f"{r['n_tensors']} tensors; {r['steps_each']} steps each way (medians)")
    print(f"  step without check  {r['step_ms']:8.2f} ms")
    print(f"  step with check     {r['step_with_check_ms']:8.2f} ms   ratio {r['ratio']:.4f}")
    print(f"  the check alone     {r['check_ms']:8.3f} ms   {100 * r['check_share']:.2f}% of a step if run every step")
    print(f"  as the trainer runs it (every log_interval={r['log_interval']} steps): "
          f"{100 * r['amortised_share']:.3f}% per step")
    return 0


if __name__ == "__main__":
    sys.exit(main())
