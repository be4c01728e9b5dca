"""Where does a training step's time go? Data, forward, backward, optimizer; tokens/s, MFU, peak memory.

    python tools/profiler/profile_training.py --config examples/tiny_model.py --steps 100
    python tools/profiler/profile_training.py --config examples/tiny_model.py --steps 20 --trace out.json
    python tools/profiler/profile_training.py --config examples/demo_cpu.py --steps 30 --peak_tflops 0.2

It builds exactly what the full entry builds in one process (phase4_distributed.train:
same config file, same --key=value overrides, torch.compile when the config asks for
it, phase 3's optimizer), then runs the trainer's own step (phase2_training.step.
train_step) and times each phase of `steps` steps with a clock read after a device
synchronise (CUDA runs asynchronously: without the sync the time lands in whichever
phase happens to wait). Forward and optimizer are timed by hooks on the model and the
optimizer; backward is the rest of the step (backward, clipping, the loss read-back).
The first `--warmup` steps are not counted (allocator, caches, lazy init, compilation).

MFU, model FLOPs utilisation (Chowdhery et al. 2022, PaLM, appendix B), is the
share of the device's peak spent on the model's own FLOPs:
    MFU = flops_per_token x tokens/s / peak FLOP/s
with flops_per_token = 6N + attention from phase1_model.GPT.flops_per_token. Peaks
come from phase3_optim.mfu (dense, no sparsity); on a CPU pass --peak_tflops yourself.
`--trace out.json` records a few steps with torch.profiler as a Chrome trace
(open it in chrome://tracing or https://ui.perfetto.dev).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch

if __package__ in (None, ""):  # run as a script: make the repository importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from phase2_training.config import ConfigError, load_config  # noqa: E402
from phase2_training.step import train_step  # noqa: E402

PHASES = ("data", "forward", "backward", "optimizer")


def device_peak_tflops(device: torch.device, dtype: str) -> float | None:
    """The GPU's dense peak from phase3_optim.mfu (None on CPUs and unknown GPUs)."""
    if device.type != "cuda":
        return None
    from phase3_optim.mfu import device_peak_flops
    try:
        return device_peak_flops(torch.cuda.get_device_name(device), dtype) / 1e12
    except KeyError:
        return None


def peak_memory_bytes(device: torch.device) -> tuple[str, int]:
    if device.type == "cuda":
        return "GPU memory allocated (peak)", torch.cuda.max_memory_allocated(device)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return "process RSS (peak)", rss if sys.platform == "darwin" else rss * 1024


def profile(trainer, steps: int, warmup: int = 3, trace: str | None = None) -> dict:
    """Time `steps` training steps phase by phase; returns per-phase seconds and throughput numbers."""
    cfg, model, opt, dev = trainer.cfg, trainer.train_model, trainer.optimizer, trainer.device

    def sync():
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    totals = dict.fromkeys(PHASES, 0.0)
    prof = None
    if trace:
        acts = [torch.profiler.ProfilerActivity.CPU] + ([torch.profiler.ProfilerActivity.CUDA]
                                                         if dev.type == "cuda" else [])
        prof = torch.profiler.profile(activities=acts, schedule=torch.profiler.schedule(
            wait=0, warmup=1, active=min(5, max(1, steps - 1)), repeat=1), record_shapes=True)
        prof.start()
    clock = {"forward": 0.0, "optimizer": 0.0}
    started = {}

    def start(name):
        sync()
        started[name] = time.perf_counter()

    def stop(name):
        sync()
        clock[name] += time.perf_counter() - started.pop(name)

    handles = [model.register_forward_pre_hook(lambda *a: start("forward")),
               model.register_forward_hook(lambda *a: stop("forward"))]
    if hasattr(opt, "register_step_pre_hook"):
        handles += [opt.register_step_pre_hook(lambda *a: start("optimizer")),
                    opt.register_step_post_hook(lambda *a: stop("optimizer"))]
    try:
        for step in range(warmup + steps):
            counted = step >= warmup
            clock.update(forward=0.0, optimizer=0.0)
            sync()
            t = time.perf_counter()
            micro = [next(trainer.loader) for _ in range(cfg.grad_accum_steps)]
            sync()
            data_s, t = time.perf_counter() - t, time.perf_counter()
            train_step(model, opt, micro, cfg.grad_clip, trainer.autocast, trainer.scaler, trainer.grad_sync)
            sync()
            step_s = time.perf_counter() - t
            times = {"data": data_s, "forward": clock["forward"], "optimizer": clock["optimizer"],
                     "backward": step_s - clock["forward"] - clock["optimizer"]}
            if counted:
                for k, v in times.items():
                    totals[k] += v
            if prof is not None and counted:
                prof.step()
    finally:
        for h in handles:
            h.remove()
    if prof is not None:
        prof.stop()
        prof.export_chrome_trace(trace)
    step_s = sum(totals.values()) / steps
    tokens_per_s = cfg.tokens_per_step * trainer.world_size / step_s
    flops_per_token = trainer.model.flops_per_token()
    peak = device_peak_tflops(dev, cfg.dtype)
    mem_label, mem = peak_memory_bytes(dev)
    return {"totals": totals, "steps": steps, "step_s": step_s, "tokens_per_s": tokens_per_s,
            "flops_per_token": flops_per_token, "achieved_tflops": flops_per_token * tokens_per_s / 1e12,
            "peak_tflops": peak, "memory_label": mem_label, "memory_bytes": mem, "device": str(dev),
            "params": trainer.model.num_params(), "tokens_per_step": cfg.tokens_per_step}


def format_table(r: dict) -> str:
    total = sum(r["totals"].values())
    lines = [f"{r['steps']} steps on {r['device']}, {r['params']:,} parameters, {r['tokens_per_step']:,} tokens/step",
             "", f"{'phase':<10}{'ms/step':>10}{'share':>8}", "-" * 28]
    for phase in PHASES:
        share = 100 * r["totals"][phase] / total
        lines.append(f"{phase:<10}{1000 * r['totals'][phase] / r['steps']:>10.2f}{share:>7.1f}%")
    lines += ["-" * 28, f"{'step':<10}{1000 * r['step_s']:>10.2f}{100.0:>7.1f}%", "",
              f"tokens/s           {r['tokens_per_s']:,.0f}",
              f"FLOPs/token        {r['flops_per_token']:,} (6N + attention)",
              f"achieved           {r['achieved_tflops']:.3f} TFLOP/s"]
    if r["peak_tflops"]:
        lines.append(f"MFU                {100 * r['achieved_tflops'] / r['peak_tflops']:.1f}% "
                     f"of {r['peak_tflops']:g} TFLOP/s peak")
    else:
        lines.append("MFU                n/a (peak unknown for this device: pass --peak_tflops)")
    lines.append(f"{r['memory_label']:<19}{r['memory_bytes'] / 2**20:,.1f} MiB")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="examples/tiny_model.py")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps first")
    parser.add_argument("--trace", default=None, help="write a torch.profiler Chrome trace (JSON) here")
    parser.add_argument("--peak_tflops", type=float, default=None, help="device peak, for MFU on unknown devices")
    args, overrides = parser.parse_known_args(argv)
    if args.steps < 1:
        parser.error("--steps must be >= 1")
    try:
        cfg = load_config(args.config, ["--progress=false", *overrides])
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    from phase2_training.device import pick_device
    from phase4_distributed.dist import DistContext
    from phase4_distributed.train import build_trainer  # the full composition root, one process
    with tempfile.TemporaryDirectory() as tmp:  # the profiler writes no run folder
        import dataclasses
        ctx = DistContext(device=pick_device(cfg.device))
        trainer = build_trainer(dataclasses.replace(cfg, out_dir=tmp, resume=False), log=lambda *a, **k: None,
                                ctx=ctx)
        result = profile(trainer, args.steps, args.warmup, args.trace)
    if args.peak_tflops:
        result["peak_tflops"] = args.peak_tflops
    print(format_table(result))
    if args.trace:
        print(f"trace: {args.trace} (open in https://ui.perfetto.dev)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
