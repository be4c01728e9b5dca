"""Optimizer benchmark: step time ours vs torch (ratios, compile cost), AdamW vs Muon to a target loss, bf16 on CPU.

    python -m bench.bench_optim                  # the step timings and ratios at 0.92M and 52M (~2-3 min)
    python -m bench.bench_optim --quick          # smoke run on tiny sizes (CI)
    python -m bench.bench_optim --overfit        # also AdamW vs Muon to a loss (several minutes more)
    python -m bench.bench_optim --sizes checkpoint   # one size

Measurements, in one run (results in docs/comparisons/optimizer-comparison.md):
1. optimizer.step() time on a GPT's real parameter set, gradients fixed, at checkpoint 3's size (0.92M)
   and at ~52M parameters: our AdamW (readable per-tensor loop, foreach, fused = our update compiled by
   torch.compile) vs torch.optim.AdamW (foreach, fused); our Muon+AdamW (eager, and compiled) vs
   torch.optim.Muon + torch.optim.AdamW(fused=True) for the non-matrix parameters (the way torch's docs
   pair them). Median of interleaved steps, after warm-up steps that include compilation. Printed side by
   side as ratios (ours / peer), with each compiled path's compile cost (its first step minus a median
   step, with a fresh Inductor cache unless --warm-cache) and what fused=None would choose for the size.
2. (--overfit) steps and seconds to loss < 0.1 on checkpoint 3's task (1000 sentences), AdamW vs Muon.
3. training throughput (tokens/s, forward + backward + step) in fp32 and under bf16 autocast on CPU.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time

import torch

from phase1_model import GPT, GPTConfig
from phase3_optim import build_optimizer
from phase3_optim.fused import can_compile, expected_fused
from phase3_optim.param_groups import classify_parameters, param_groups
from phase3_optim.precision import autocast_context


def interleaved_median_ms(opts: list, repeats: int) -> tuple[list[float], list[float]]:
    """Median step time of each optimizer, timed round-robin so load changes on a shared machine hit all alike,
    and each one's first step (lazy state init, and compilation for the compiled paths) in ms."""
    first = []
    for opt in opts:
        t0 = time.perf_counter()
        opt.step()
        first.append(1e3 * (time.perf_counter() - t0))
        for _ in range(2):
            opt.step()  # warm-up outside the timing
    times = [[] for _ in opts]
    for _ in range(repeats):
        for i, opt in enumerate(opts):
            t0 = time.perf_counter()
            opt.step()
            times[i].append(time.perf_counter() - t0)
    return [1e3 * statistics.median(t) for t in times], first


class Pair:
    """Two optimizers stepped as one (torch's Muon for matrices + torch's AdamW for the rest)."""

    def __init__(self, *opts):
        self.opts = opts

    def step(self):
        for o in self.opts:
            o.step()


def step_times(cfg: GPTConfig, repeats: int, big: bool) -> dict[str, tuple[float, float]]:
    """{row: (median ms per step, first step ms)}; big: skip the fp32-NS Muon rows (seconds per step at 50M)."""
    torch.manual_seed(0)
    model = GPT(cfg)
    for p in model.parameters():
        p.grad = torch.randn_like(p) * 1e-3
    lr, wd = 1e-3, 0.1

    def groups():
        return param_groups(model, wd, lr)

    kinds = classify_parameters(model)
    matrices = [p for _, p in kinds["matrix"]]
    rest = [p for k, ps in kinds.items() if k != "matrix" for _, p in ps]
    fused_ok = can_compile(next(model.parameters()).device.type)
    rows = [
        ("ours AdamW (readable, per-tensor loop)", build_optimizer(model, "adamw", lr, wd, foreach=False, fused=False)),
        (OURS_FOREACH, build_optimizer(model, "adamw", lr, wd, foreach=True, fused=False)),
        (TORCH_FOREACH, torch.optim.AdamW(groups(), lr=lr, foreach=True)),
        (TORCH_FUSED, torch.optim.AdamW(groups(), lr=lr, fused=True)),
    ]
    if not big:
        rows.append(("ours Muon+AdamW (eager, NS fp32)", build_optimizer(model, "muon", lr, wd, fused=False)))
    if fused_ok:
        rows.insert(2, (OURS_FUSED, build_optimizer(model, "adamw", lr, wd, fused=True)))
        if not big:
            rows.append((OURS_MUON_FP32, build_optimizer(model, "muon", lr, wd, fused=True)))
        rows.append((OURS_MUON_BF16, build_optimizer(model, "muon", lr, wd, fused=True, ns_dtype=torch.bfloat16)))
    if hasattr(torch.optim, "Muon"):
        rows.append((TORCH_MUON, Pair(
            torch.optim.Muon(matrices, lr=lr, weight_decay=wd, adjust_lr_fn="match_rms_adamw"),
            torch.optim.AdamW(rest, lr=lr, fused=True))))
    medians, first = interleaved_median_ms([opt for _, opt in rows], repeats)
    return {name: (ms, f) for (name, _), ms, f in zip(rows, medians, first)}


OURS_FOREACH, OURS_FUSED = "ours AdamW (foreach)", "ours AdamW (fused: torch.compile)"
TORCH_FOREACH, TORCH_FUSED = "torch AdamW (foreach)", "torch AdamW (fused)"
OURS_MUON_FP32 = "ours Muon+AdamW (compiled, NS fp32)"
OURS_MUON_BF16 = "ours Muon+AdamW (compiled, NS bf16)"
TORCH_MUON = "torch Muon (bf16 NS) + AdamW fused"
RATIOS = [  # (ours, peer, target), printed side by side
    (OURS_FUSED, TORCH_FUSED, "<= 1.1x"), (OURS_FOREACH, TORCH_FOREACH, None), (OURS_FUSED, TORCH_FOREACH, None),
    (OURS_MUON_BF16, TORCH_MUON, "<= 1.0x"), (OURS_MUON_FP32, TORCH_MUON, None)]


def throughput(cfg: GPTConfig, batch_size: int, steps: int) -> list[tuple[str, float]]:
    out = []
    for dtype in ("fp32", "bf16"):
        torch.manual_seed(0)
        model = GPT(cfg)
        opt = build_optimizer(model, "adamw", 1e-3, 0.1)
        x = torch.randint(0, cfg.vocab_size, (batch_size, cfg.block_size))
        times = []
        for i in range(steps + 1):
            t0 = time.perf_counter()
            opt.zero_grad(set_to_none=True)
            with autocast_context("cpu", dtype):
                _, loss = model(x, x)
            loss.backward()
            opt.step()
            if i:  # the first step warms up
                times.append(time.perf_counter() - t0)
        out.append((dtype, batch_size * cfg.block_size / statistics.median(times)))
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument("--sizes", default="checkpoint,50m",
                        help="comma-separated model sizes for the step timings: checkpoint (checkpoint 3's, 0.9M), "
                             "large (4x256, 7M), 50m (6x512, vocab 32768: 52M)")
    parser.add_argument("--overfit", action="store_true", help="also the (minutes-long) AdamW vs Muon run to a loss")
    parser.add_argument("--skip-overfit", action="store_true", help="(the default now; kept for old commands)")
    parser.add_argument("--warm-cache", action="store_true",
                        help="reuse Inductor's disk cache (default: a fresh one: the compile cost of a first run)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1: stable timings on a shared machine; 2 spin when oversubscribed)")
    args = parser.parse_args(argv)
    if not args.warm_cache:
        os.environ["TORCHINDUCTOR_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench_optim_inductor_")
    torch.set_num_threads(args.threads)
    print(f"machine: {platform.machine()} {platform.system()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}")

    sizes = {"quick": dict(n_layer=1, n_head=2, n_embd=32, vocab_size=256, block_size=32),
             "checkpoint": dict(n_layer=2, n_head=4, n_embd=128, vocab_size=2048, block_size=64),  # checkpoint 3's
             "large": dict(n_layer=4, n_head=4, n_embd=256, vocab_size=8192, block_size=256),
             "50m": dict(n_layer=6, n_head=4, n_embd=512, vocab_size=32768, block_size=256)}
    names = ["quick"] if args.quick else [n.strip() for n in args.sizes.split(",") if n.strip()]
    unknown = [n for n in names if n not in sizes]
    if unknown:
        parser.error(f"--sizes: unknown {unknown}; choose from {sorted(sizes)}")
    for k, name in enumerate(names):
        size = sizes[name]
        cfg = GPTConfig.from_lineage("nanochat", **size)
        n = sum(p.numel() for p in GPT(cfg).parameters())
        print(f"\n1{'abcd'[k]}. optimizer.step() on a nanochat-lineage GPT {size} ({n / 1e6:.2f}M params), median ms")
        times = step_times(cfg, 5 if args.quick else (30 if n < 1e7 else 8), big=n > 1e7)
        base = times[TORCH_FUSED][0]
        for row, (ms, _) in times.items():
            print(f"  {row:<40} {ms:8.2f} ms  {ms / base:5.2f}x torch fused AdamW")
        print("  ratios (ours / peer, one run, interleaved):")
        for ours, peer, target in RATIOS:
            if ours in times and peer in times:
                print(f"    {ours[5:]:<36} / {peer:<36} {times[ours][0] / times[peer][0]:5.2f}x"
                      + (f"  (target {target})" if target else ""))
        print("  compile cost (first step - median step; fresh Inductor cache):")
        for row in (OURS_FUSED, OURS_MUON_FP32, OURS_MUON_BF16):
            if row in times:
                ms, first = times[row]
                print(f"    {row:<40} {(first - ms) / 1e3:6.1f} s")
        for steps in (1000, 1200):
            print(f"  fused=None for {steps} steps on CPU: {expected_fused(torch.device('cpu'), n, steps)[1]}")
    cfg = GPTConfig.from_lineage("nanochat", **sizes["quick" if args.quick else "checkpoint"])

    print("\n3. training throughput on CPU (forward + backward + AdamW step), tokens/s")
    tp = throughput(cfg, 2 if args.quick else 8, 2 if args.quick else 5)
    for name, tps in tp:
        print(f"  {name:<6} {tps:10.0f} tokens/s  ({tps / tp[0][1]:.2f}x fp32)")

    if args.overfit and not args.skip_overfit:
        from checkpoints_exercises.phase3 import checkpoint
        print("\n2. steps and seconds to loss < 0.1 on checkpoint 3's task (same budget for both)")
        steps = ["--max-steps", "30", "--time-limit", "30"] if args.quick else []
        checkpoint.main([*steps, "--threads", str(args.threads), "--plot", "runs/bench_optim/overfit.png"])


if __name__ == "__main__":
    main()
