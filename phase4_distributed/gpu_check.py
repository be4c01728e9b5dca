"""`make gpu-check`: the GPU paths of the stack, checked in one go, one summary line per part.

    python -m phase4_distributed.gpu_check            # one GPU: < 9 minutes, hard timeout per part
    python -m phase4_distributed.gpu_check --dry      # any CPU: the same parts on tiny shapes (CI smoke test)
    python -m phase4_distributed.gpu_check --only resume,nccl

Each part runs in its own process (`--part NAME`) under a hard timeout, so a hang or a
crash in one part costs that part only; the parent prints one line per part:

    data       tokenizer and shards for every part, prepared once (the ASV corpus: offline)
    speed      the 500M config (examples/gpt_500m.py), bf16 + compile: tokens/s and MFU after
               warm-up, peak memory
    precision  fp32 vs bf16: the losses of the same few steps agree (relative difference)
    optim      Muon+AdamW vs AdamW: time of one optimizer step on the same model
    demo       `make demo-gpu`, shortened (phase 2's entry: bf16, compile, the demo report)
    resume     train, checkpoint, resume on this device: the resumed losses equal the straight run's
    nccl       1-process NCCL (gloo on CPU) through DDP and FSDP2, with a checkpoint round trip

On CPU (`--dry`) every part runs with tiny shapes and compile off (the point is that each
path runs end to end, not its speed). Figures from a GPU run go to
docs/comparisons/distributed-comparison.md; none are recorded yet.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

PARTS = ("data", "speed", "precision", "optim", "demo", "resume", "nccl")
TIMEOUT_S = {"data": 60, "speed": 120, "precision": 60, "optim": 60, "demo": 90, "resume": 60, "nccl": 60}  # 8.5 min


def _cfg(dry: bool, out: str, **kw):
    """The run each part trains: examples/gpt_500m.py's model on a GPU, a tiny one when dry; both on the
    offline ASV corpus (fineweb would download first), with the data of examples/demo_gpu.py (vocab 8192),
    prepared once under the check's folder."""
    from phase1_model import GPTConfig
    from phase2_training.config import TrainConfig, load_config
    data_root = str(Path(out).parent / "data")
    if dry:
        base = TrainConfig(corpus="asv", max_bytes=250_000, vocab_size=300, tokenizer_bytes=None, val_fraction=0.5,
                           model=GPTConfig(lineage="nanochat", n_layer=1, n_head=2, n_embd=32, block_size=32),
                           batch_size=2, warmup_steps=1, max_steps=4, eval_interval=1000, eval_iters=1,
                           checkpoint_interval=0, progress=False, threads=1)
    else:
        demo = load_config("examples/demo_gpu.py")
        base = dataclasses.replace(load_config("examples/gpt_500m.py"), corpus=demo.corpus,
                                   vocab_size=demo.vocab_size, tokenizer_bytes=demo.tokenizer_bytes,
                                   val_fraction=demo.val_fraction, grad_accum_steps=1, max_steps=20,
                                   eval_interval=1000, eval_iters=1, checkpoint_interval=0, progress=False,
                                   strategy="single")
    return dataclasses.replace(base, out_dir=out, data_root=data_root, **kw)


def _sync():
    if torch.cuda.is_available():
        torch.cuda.synchronize()


def _timed_steps(trainer, steps: int) -> float:
    """Median seconds of `steps` calls of the trainer's own train_step."""
    from phase2_training.step import train_step
    times = []
    for _ in range(steps):
        micro = [next(trainer.loader) for _ in range(trainer.cfg.grad_accum_steps)]
        _sync()
        t = time.perf_counter()
        train_step(trainer.train_model, trainer.optimizer, micro, trainer.cfg.grad_clip, trainer.autocast,
                   trainer.scaler, trainer.grad_sync)
        _sync()
        times.append(time.perf_counter() - t)
    return sorted(times)[len(times) // 2]


def _build(cfg):
    from phase4_distributed.train import build_trainer
    return build_trainer(cfg, log=lambda *a, **k: None)


# ---- the parts: each returns a dict with "ok" and a one-line "summary" ---------------------------------
def part_data(dry: bool, out: str) -> dict:
    from phase2_training.data_prep import prepare_data
    data = prepare_data(_cfg(dry, out), log=lambda *a, **k: None)
    return {"ok": True, "summary": f"{data.tokenizer.vocab_size}-token tokenizer and shards in {data.data_dir}"}


def part_speed(dry: bool, out: str) -> dict:
    from phase3_optim.mfu import device_peak_flops
    cfg = _cfg(dry, out, dtype="bf16", compile=not dry)
    trainer = _build(cfg)
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    _timed_steps(trainer, 2 if dry else 5)                    # warm-up (compilation, allocator)
    step_s = _timed_steps(trainer, 2 if dry else 10)
    tokens_s = cfg.tokens_per_step / step_s
    flops = trainer.model.flops_per_token() * tokens_s
    peak = None
    if torch.cuda.is_available():
        try:
            peak = device_peak_flops(torch.cuda.get_device_name(), "bf16")
        except KeyError:
            peak = None
    mem = f"{torch.cuda.max_memory_allocated() / 2**30:.1f} GiB" if torch.cuda.is_available() else "n/a (CPU)"
    mfu = f"{100 * flops / peak:.1f}%" if peak else "n/a"
    return {"ok": True, "tokens_per_s": tokens_s, "mfu": mfu, "peak_memory": mem,
            "summary": f"{trainer.model.num_params() / 1e6:.1f}M params, {tokens_s:,.0f} tokens/s, MFU {mfu}, "
                       f"peak memory {mem}"}


def part_precision(dry: bool, out: str) -> dict:
    losses = {}
    for dtype in ("fp32", "bf16"):
        cfg = _cfg(dry, f"{out}/{dtype}", dtype=dtype, max_steps=3, seed=7,
                   model=dataclasses.replace(_cfg(dry, out).model, dropout=0.0))
        trainer = _build(cfg)
        trainer.train()
        losses[dtype] = trainer.last["train_loss"]
    rel = abs(losses["bf16"] - losses["fp32"]) / abs(losses["fp32"])
    ok = rel < 0.02  # bf16 keeps 8 mantissa bits: a few steps drift by well under a percent
    return {"ok": ok, "losses": losses,
            "summary": f"loss after 3 steps fp32 {losses['fp32']:.4f} vs bf16 {losses['bf16']:.4f} "
                       f"(rel diff {rel:.2e}, limit 2e-2)"}


def part_optim(dry: bool, out: str) -> dict:
    times = {}
    for name in ("adamw", "muon"):
        trainer = _build(_cfg(dry, f"{out}/{name}", optimizer=name))
        micro = [next(trainer.loader)]
        _, loss = trainer.model(*micro[0])
        loss.backward()
        for _ in range(2):                                   # warm-up
            trainer.optimizer.step()
        _sync()
        t = time.perf_counter()
        for _ in range(5):
            trainer.optimizer.step()
        _sync()
        times[name] = (time.perf_counter() - t) / 5
    return {"ok": True, "step_ms": {k: 1000 * v for k, v in times.items()},
            "summary": f"optimizer step: AdamW {1000 * times['adamw']:.1f} ms, Muon+AdamW "
                       f"{1000 * times['muon']:.1f} ms ({times['muon'] / times['adamw']:.2f}x)"}


def part_demo(dry: bool, out: str) -> dict:
    from phase2_training.demo import main as demo_main
    args = ["--out", f"{out}/demo", "--progress=false", "--checkpoint_interval=0"]
    if dry:
        args += ["--config", "examples/demo_cpu.py", f"--data_root={Path(out).parent / 'data'}", "--max_bytes=250000",
                 "--vocab_size=300", "--val_fraction=0.5", "--model.n_layer=1", "--model.n_embd=32",
                 "--model.block_size=32", "--batch_size=2", "--max_steps=5", "--warmup_steps=1",
                 "--eval_interval=5", "--threads=1"]
    else:
        args += ["--config", "examples/demo_gpu.py", f"--data_root={Path(out).parent / 'data'}", "--max_steps=100",
                 "--eval_interval=50"]
    t = time.perf_counter()
    code = demo_main(args)
    report = Path(out) / "demo" / "report.md"
    ok = code == 0 and report.exists()
    return {"ok": ok, "summary": f"demo exit {code}, report {'written' if report.exists() else 'MISSING'}, "
                                 f"{time.perf_counter() - t:.0f} s"}


def part_resume(dry: bool, out: str) -> dict:
    from phase2_training.jsonl import read_jsonl
    kw = dict(max_steps=6, checkpoint_interval=3, keep_checkpoints=5, log_interval=1, dtype="bf16",
              model=dataclasses.replace(_cfg(dry, out).model, dropout=0.0))
    full, resumed = Path(out) / "full", Path(out) / "resumed"
    _build(_cfg(dry, str(full), **kw)).train()
    (resumed / "checkpoints").mkdir(parents=True)
    import shutil
    shutil.copy(full / "checkpoints" / "step_000003.pt", resumed / "checkpoints")
    shutil.copy(full / "metrics.jsonl", resumed / "metrics.jsonl")
    _build(_cfg(dry, str(resumed), resume=True, **kw)).train()

    def losses(d):
        return [r["loss"] for r in read_jsonl(d / "metrics.jsonl") if r["kind"] == "train" and r["step"] > 3]
    a, b = losses(full), losses(resumed)
    diff = max(abs(x - y) for x, y in zip(a, b))
    ok = len(a) == len(b) == 3 and diff <= (0.0 if not torch.cuda.is_available() else 1e-3)
    return {"ok": ok, "summary": f"resumed at step 3 on {'cuda' if torch.cuda.is_available() else 'cpu'}: "
                                 f"max |loss diff| over steps 4-6 {diff:.2e}"}


def part_nccl(dry: bool, out: str) -> dict:
    """DDP and FSDP2 on a 1-process group (NCCL on a GPU), a few steps, then the checkpoint round trip."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    from phase1_model import GPT
    from phase2_training.checkpoint import load_checkpoint, save_checkpoint
    from phase2_training.step import train_step
    from phase4_distributed.checkpoint import DISTRIBUTED_STATE
    from phase4_distributed.ddp import gradient_sync
    from phase4_distributed.fsdp import apply_fsdp
    cuda = torch.cuda.is_available()
    device = torch.device("cuda", 0) if cuda else torch.device("cpu")
    Path(out).mkdir(parents=True, exist_ok=True)  # the rendezvous file lives here
    dist.init_process_group("nccl" if cuda else "gloo", init_method=f"file://{out}/store", rank=0, world_size=1)
    lines = []
    try:
        config = _cfg(True, out).model_config(300)  # a small model: this part checks the path, not the speed
        for strategy in ("ddp", "fsdp"):
            torch.manual_seed(0)
            model = GPT(config).to(device)
            wrapped = DistributedDataParallel(model, device_ids=[0] if cuda else None) if strategy == "ddp" \
                else apply_fsdp(model)
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
            x = torch.randint(0, 300, (2, 33), device=device)
            for _ in range(3):
                train_step(wrapped, opt, [(x[:, :-1], x[:, 1:])] * 2, grad_sync=gradient_sync)
            state = {"step": 3, "model": DISTRIBUTED_STATE.model_state(model),
                     "optimizer": DISTRIBUTED_STATE.optimizer_state(model, opt), "rng": {}, "loader": {},
                     "train_config": {}, "model_config": config.to_dict(), "tokenizer": {}}
            path = save_checkpoint(Path(out) / strategy, state)
            loaded = load_checkpoint(path)
            fresh = GPT(config)
            fresh_opt = torch.optim.AdamW(fresh.parameters(), lr=1e-3)
            DISTRIBUTED_STATE.load(fresh, fresh_opt, loaded["model"], loaded["optimizer"])
            same = all(torch.equal(a.cpu(), b) for a, b in zip(state["model"].values(), fresh.state_dict().values()))
            lines.append(f"{strategy} {'ok' if same else 'MISMATCH'}")
    finally:
        dist.destroy_process_group()
    ok = all(line.endswith("ok") for line in lines)
    return {"ok": ok, "summary": f"1-process {'nccl' if cuda else 'gloo'}: " + ", ".join(lines)
                                 + " (3 steps, checkpoint round trip)"}


# ---- the driver --------------------------------------------------------------------------------------
def run_part(name: str, dry: bool, out: Path) -> dict:
    """Run one part in a child process under its hard timeout; the child's result dict."""
    result = out / f"{name}.json"
    cmd = [sys.executable, "-m", "phase4_distributed.gpu_check", "--part", name, "--out", str(out)]
    cmd += ["--dry"] if dry else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).resolve().parent.parent),
                                                        os.environ.get("PYTHONPATH", "")])}
    timeout = TIMEOUT_S[name] * (2 if dry else 1)  # CPUs in CI are slow and shared
    t = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"ok": False, "summary": f"TIMEOUT after {timeout} s", "seconds": time.perf_counter() - t}
    seconds = time.perf_counter() - t
    if proc.returncode != 0 or not result.exists():
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"ok": False, "summary": f"crashed (exit {proc.returncode}): {tail}", "seconds": seconds}
    return {**json.loads(result.read_text()), "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry", action="store_true", help="tiny shapes, compile off: runs on any CPU")
    ap.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of {', '.join(PARTS)}")
    ap.add_argument("--out", default=None, help="work folder (default: a temporary one)")
    ap.add_argument("--part", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.part:  # a child: run one part, write its result
        torch.manual_seed(0)
        if args.dry:
            torch.set_num_threads(1)
        result = globals()[f"part_{args.part}"](args.dry, str(Path(args.out) / args.part))
        (Path(args.out) / f"{args.part}.json").write_text(json.dumps(result, default=str))
        return 0
    parts = [p for p in args.only.split(",") if p]
    unknown = sorted(set(parts) - set(PARTS))
    if unknown:
        ap.error(f"unknown parts {unknown}: choose from {', '.join(PARTS)}")
    if not args.dry and not torch.cuda.is_available():
        print("gpu-check: no CUDA GPU here; run `python -m phase4_distributed.gpu_check --dry` for the CPU version",
              file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="mnc-gpu-check-") as tmp:
        out = Path(args.out or tmp)
        out.mkdir(parents=True, exist_ok=True)
        where = "CPU, dry run (tiny shapes)" if args.dry else torch.cuda.get_device_name()
        print(f"gpu-check on {where}: {len(parts)} parts, each in its own process with a hard timeout", flush=True)
        failed = 0
        for name in parts:
            r = run_part(name, args.dry, out)
            failed += not r["ok"]
            print(f"  {name:<10} {'PASS' if r['ok'] else 'FAIL'}  {r['summary']}  [{r['seconds']:.0f} s]", flush=True)
    print(f"gpu-check: {len(parts) - failed}/{len(parts)} parts passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
