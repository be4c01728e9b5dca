"""Optimizer benchmark: step time ours vs torch, AdamW vs Muon to a target loss, fp32 vs bf16 on CPU.

    python -m bench.bench_optim                  # everything (several minutes on 2 CPU cores)
    python -m bench.bench_optim --quick          # smoke run on tiny sizes (CI)
    python -m bench.bench_optim --skip-overfit   # only the timings
    python -m bench.bench_optim --sizes checkpoint --skip-overfit   # one size

Three measurements, in one run (results in docs/comparisons/optimizer-comparison.md):
1. optimizer.step() time on a GPT's real parameter set, gradients fixed, at checkpoint 3's size (0.9M)
   and at ~52M parameters: our AdamW (readable per-tensor loop, foreach, fused = our update compiled by
   torch.compile) vs torch.optim.AdamW (foreach, fused); our Muon+AdamW (eager, and compiled NS + fused
   AdamW, the default) vs torch.optim.Muon + torch.optim.AdamW(fused=True) for the non-matrix parameters
   (the way torch's docs pair them). Median of interleaved steps, after warm-up steps that include
   compilation. The two ratios to watch: ours fused / torch fused, ours Muon+AdamW / torch's.
2. steps and seconds to loss < 0.1 on checkpoint 3's task (1000 sentences), AdamW vs Muon.
3. training throughput (tokens/s, forward + backward + step) in fp32 and under bf16 autocast on CPU.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

from phase1_model import GPT, GPTConfig
from phase3_optim import build_optimizer
from phase3_optim.fused import can_compile
from phase3_optim.param_groups import classify_parameters, param_groups
from phase3_optim.precision import autocast_context


def interleaved_median_ms(opts: list, repeats: int) -> list[float]:
    """Median step time of each optimizer, timed round-robin so load changes on a shared machine hit all alike."""
    for opt in opts:
        for _ in range(3):
            opt.step()  # lazy state init and compilation outside the timing
    times = [[] for _ in opts]
    for _ in range(repeats):
        for i, opt in enumerate(opts):
            t0 = time.perf_counter()
            opt.step()
            times[i].append(time.perf_counter() - t0)
    return [1e3 * statistics.median(t) for t in times]


class Pair:
    """Two optimizers stepped as one (torch's Muon for matrices + torch's AdamW for the rest)."""

    def __init__(self, *opts):
        self.opts = opts

    def step(self):
        for o in self.opts:
            o.step()


def step_times(cfg: GPTConfig, repeats: int) -> list[tuple[str, float]]:
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
        ("ours AdamW (foreach)", build_optimizer(model, "adamw", lr, wd, foreach=True, fused=False)),
        ("torch AdamW (foreach)", torch.optim.AdamW(groups(), lr=lr, foreach=True)),
        ("torch AdamW (fused)", torch.optim.AdamW(groups(), lr=lr, fused=True)),
        ("ours Muon+AdamW (eager, NS fp32)", build_optimizer(model, "muon", lr, wd, fused=False)),
    ]
    if fused_ok:
        rows.insert(2, ("ours AdamW (fused: torch.compile)", build_optimizer(model, "adamw", lr, wd, fused=True)))
        rows.append(("ours Muon+AdamW (compiled NS + fused)", build_optimizer(model, "muon", lr, wd, fused=True)))
        rows.append(("ours Muon+AdamW (compiled bf16 NS + fused)",
                     build_optimizer(model, "muon", lr, wd, fused=True, ns_dtype=torch.bfloat16)))
    if hasattr(torch.optim, "Muon"):
        rows.append(("torch Muon (bf16 NS) + AdamW fused", Pair(
            torch.optim.Muon(matrices, lr=lr, weight_decay=wd, adjust_lr_fn="match_rms_adamw"),
            torch.optim.AdamW(rest, lr=lr, fused=True))))
    return list(zip([name for name, _ in rows], interleaved_median_ms([opt for _, opt in rows], repeats)))


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
    parser.add_argument("--skip-overfit", action="store_true", help="skip the (minutes-long) AdamW vs Muon run")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (1: stable timings on a shared machine; 2 spin when oversubscribed)")
    args = parser.parse_args(argv)
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
        times = dict(step_times(cfg, 5 if args.quick else (30 if n < 1e7 else 10)))
        base = times["torch AdamW (fused)"]
        for row, ms in times.items():
            print(f"  {row:<40} {ms:8.2f} ms  {ms / base:5.2f}x torch fused AdamW")
        if "ours AdamW (fused: torch.compile)" in times:
            print(f"  ratio ours fused / torch fused AdamW: {times['ours AdamW (fused: torch.compile)'] / base:.2f}x "
                  "(target <= 1.1x)")
        torch_muon = times.get("torch Muon (bf16 NS) + AdamW fused")
        for ours in ("ours Muon+AdamW (compiled NS + fused)", "ours Muon+AdamW (compiled bf16 NS + fused)"):
            if torch_muon and ours in times:
                print(f"  ratio {ours[5:]} / torch Muon + fused AdamW: {times[ours] / torch_muon:.2f}x "
                      "(target <= 1.0x)")
    cfg = GPTConfig.from_lineage("nanochat", **sizes["quick" if args.quick else "checkpoint"])

    print("\n3. training throughput on CPU (forward + backward + AdamW step), tokens/s")
    tp = throughput(cfg, 2 if args.quick else 8, 2 if args.quick else 5)
    for name, tps in tp:
        print(f"  {name:<6} {tps:10.0f} tokens/s  ({tps / tp[0][1]:.2f}x fp32)")

    if not args.skip_overfit:
        from checkpoints_exercises.phase3 import checkpoint
        print("\n2. steps and seconds to loss < 0.1 on checkpoint 3's task (same budget for both)")
        steps = ["--max-steps", "30", "--time-limit", "30"] if args.quick else []
        checkpoint.main([*steps, "--threads", str(args.threads), "--plot", "runs/bench_optim/overfit.png"])


if __name__ == "__main__":
    main()
