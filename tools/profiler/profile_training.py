"""Where does a training step's time go? Data, forward, backward, optimizer; tokens/s, MFU, peak memory.

    python tools/profiler/profile_training.py --config examples/tiny_model.py --steps 100
    python tools/profiler/profile_training.py --config examples/tiny_model.py --steps 20 --trace out.json
    python tools/profiler/profile_training.py --config examples/demo_cpu.py --steps 30 --peak_tflops 0.2

It builds exactly what `python -m phase2_training.train` builds (same config file,
same --key=value overrides), then times each phase of `steps` steps with a clock
read after a device synchronise (CUDA runs asynchronously: without the sync the
time lands in whichever phase happens to wait). The first `--warmup` steps are
not counted (allocator, caches, lazy init).

MFU, model FLOPs utilisation (Chowdhery et al. 2022, PaLM, appendix B), is the
share of the device's peak spent on the model's own FLOPs:
    MFU = flops_per_token x tokens/s / peak FLOP/s
with flops_per_token = 6N + attention from phase1_model.GPT.flops_per_token. Peaks
are known for common GPUs (dense, no sparsity); on a CPU pass --peak_tflops yourself.
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

from phase2_training.clipping import clip_grad_norm  # noqa: E402
from phase2_training.config import ConfigError, load_config  # noqa: E402

# Dense peak FLOP/s by device-name fragment and dtype (vendor datasheets; tensor cores, no sparsity).
PEAK_TFLOPS = {
    "H100": {"bf16": 989.0, "fp16": 989.0, "fp32": 67.0},     # SXM5; the PCIe card is ~25% lower
    "H200": {"bf16": 989.0, "fp16": 989.0, "fp32": 67.0},
    "A100": {"bf16": 312.0, "fp16": 312.0, "fp32": 19.5},
    "L4": {"bf16": 121.0, "fp16": 121.0, "fp32": 30.3},
    "A10": {"bf16": 125.0, "fp16": 125.0, "fp32": 31.2},
    "RTX 4090": {"bf16": 165.2, "fp16": 165.2, "fp32": 82.6},
    "RTX 3090": {"bf16": 71.0, "fp16": 71.0, "fp32": 35.6},
}
PHASES = ("data", "forward", "backward", "optimizer")


def device_peak_tflops(device: torch.device, dtype: str) -> float | None:
    if device.type != "cuda":
        return None
    name = torch.cuda.get_device_name(device)
    for key, peaks in PEAK_TFLOPS.items():
        if key in name:
            return peaks[dtype]
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
    for step in range(warmup + steps):
        counted = step >= warmup
        times = {}
        sync()
        t = time.perf_counter()
        micro = [next(trainer.loader) for _ in range(cfg.grad_accum_steps)]
        sync()
        times["data"], t = time.perf_counter() - t, time.perf_counter()
        opt.zero_grad(set_to_none=True)
        fwd = bwd = 0.0
        for x, y in micro:
            with trainer.autocast():
                _, loss = model(x, y)
            sync()
            fwd, t = fwd + time.perf_counter() - t, time.perf_counter()
            (loss / len(micro)).backward()
            sync()
            bwd, t = bwd + time.perf_counter() - t, time.perf_counter()
        times["forward"], times["backward"] = fwd, bwd
        if cfg.grad_clip > 0:
            clip_grad_norm(model.parameters(), cfg.grad_clip)
        opt.step()
        sync()
        times["optimizer"] = time.perf_counter() - t
        if counted:
            for k, v in times.items():
                totals[k] += v
        if prof is not None and counted:
            prof.step()
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
    from phase2_training.trainer import Trainer
    with tempfile.TemporaryDirectory() as tmp:  # the profiler writes no run folder
        import dataclasses
        trainer = Trainer(dataclasses.replace(cfg, out_dir=tmp, resume=False), log=lambda *a, **k: None)
        result = profile(trainer, args.steps, args.warmup, args.trace)
    if args.peak_tflops:
        result["peak_tflops"] = args.peak_tflops
    print(format_table(result))
    if args.trace:
        print(f"trace: {args.trace} (open in https://ui.perfetto.dev)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
