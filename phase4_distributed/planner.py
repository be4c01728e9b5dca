"""Commit 4.3 — the memory planner: which strategy fits this model, batch and GPU?

Training memory per rank, in bytes, for N parameters, W ranks and AdamW with fp32
master weights (mixed precision autocasts the compute, not the stored weights):

    strategy   weights     grads      Adam m, v    extra
    single     4N          4N         8N
    DDP        4N          4N         8N           + gradient buckets in flight (~2 x 25 MB)
    ZeRO-1     4N          4N         8N / W       + one flat shard for the all-gather
    FSDP       4N / W      4N / W     8N / W       + the largest block gathered (x2: prefetch)

plus the activations kept for backward, which depend on the micro-batch, not on the
strategy. Per layer and token we count 34 x n_embd bytes with 16-bit activations
(Korthikanti et al., 2022, eq. (1) with flash attention: the 5as/h score term is gone),
twice that in fp32, plus the logits (B T V floats: fp32 logits, their gradient and
softmax). The planner answers with the simplest strategy that fits: single < DDP <
ZeRO-1 < FSDP, because each step to the right costs communication (ADR 016).

All numbers are estimates (the CUDA context, the allocator's fragmentation and
torch.compile's workspaces are folded into a fixed reserve); measure with
torch.cuda.max_memory_allocated() before trusting a tight fit.
"""

from __future__ import annotations

from dataclasses import dataclass

GIB = 1024 ** 3
STRATEGIES = ("single", "ddp", "zero1", "fsdp")
RESERVE_BYTES = int(1.5 * GIB)   # CUDA context + allocator slack + compile workspaces (rough)
BUCKET_BYTES = 2 * 25 * 2 ** 20  # DDP: buckets being reduced while the next fill


@dataclass(frozen=True)
class ModelShape:
    """What the planner needs to know about a GPT (from a GPTConfig or a built model)."""
    n_params: int
    n_layer: int
    n_embd: int
    vocab_size: int
    block_params: int  # parameters of one transformer block (FSDP gathers one block at a time)

    @classmethod
    def from_config(cls, config) -> ModelShape:
        """Count parameters without allocating them: the model is built on the meta device."""
        import torch

        from phase1_model import GPT
        with torch.device("meta"):
            model = GPT(config)
        block = sum(p.numel() for p in model.transformer.h[0].parameters())
        return cls(sum(p.numel() for p in model.parameters()), config.n_layer, config.n_embd, config.vocab_size, block)


@dataclass(frozen=True)
class Plan:
    strategy: str
    weights: int
    grads: int
    optimizer: int
    activations: int
    extra: int
    fits: bool

    @property
    def total(self) -> int:
        return self.weights + self.grads + self.optimizer + self.activations + self.extra + RESERVE_BYTES


def activation_bytes(shape: ModelShape, micro_batch: int, block_size: int, dtype: str = "bf16") -> int:
    """Activations saved for backward for one micro-batch (Korthikanti et al. 2022, flash attention)."""
    per_elem = 2 if dtype in ("bf16", "fp16") else 4
    tokens = micro_batch * block_size
    layers = shape.n_layer * tokens * shape.n_embd * 17 * per_elem  # 34 bytes/elem at 16-bit = 17 values
    logits = tokens * shape.vocab_size * 4 * 3                       # fp32 logits, grad, softmax
    return layers + logits


def plan_memory(shape: ModelShape, micro_batch: int, block_size: int, world_size: int, gpu_bytes: float,
                dtype: str = "bf16", optimizer_bytes_per_param: int = 8) -> list[Plan]:
    """Per-rank memory of every strategy for this model, micro-batch and GPU (see the module table)."""
    n, w = shape.n_params, max(1, world_size)
    act = activation_bytes(shape, micro_batch, block_size, dtype)
    param_bytes = 2 if dtype in ("bf16", "fp16") else 4
    rows = {
        "single": (4 * n, 4 * n, optimizer_bytes_per_param * n, 0),
        "ddp": (4 * n, 4 * n, optimizer_bytes_per_param * n, BUCKET_BYTES),
        "zero1": (4 * n, 4 * n, optimizer_bytes_per_param * n // w, 4 * n // w),
        "fsdp": (4 * n // w, 4 * n // w, optimizer_bytes_per_param * n // w,
                 2 * shape.block_params * (param_bytes + 4)),  # gathered block weights + its full grads
    }
    plans = []
    for name, (wt, gr, opt, extra) in rows.items():
        if name == "single" and world_size > 1:
            continue  # one process cannot use the other GPUs
        if name != "single" and world_size == 1:
            continue  # nothing to shard across
        p = Plan(name, wt, gr, opt, act, extra, fits=False)
        plans.append(Plan(**{**p.__dict__, "fits": p.total <= gpu_bytes}))
    return plans


def recommend(plans: list[Plan]) -> str | None:
    """The simplest strategy that fits (the list is ordered single < DDP < ZeRO-1 < FSDP), or None."""
    return next((p.strategy for p in plans if p.fits), None)


def format_plan(shape: ModelShape, plans: list[Plan], micro_batch: int, block_size: int, world_size: int,
                gpu_bytes: float) -> str:
    """The table `examples/gpt_500m.py` and the trainer print."""
    g = lambda b: f"{b / GIB:6.2f}"  # noqa: E731
    lines = [f"memory plan: {shape.n_params / 1e6:.1f}M parameters, micro-batch {micro_batch} x {block_size} tokens, "
             f"{world_size} rank(s) with {gpu_bytes / GIB:.0f} GiB each (GiB per rank; reserve "
             f"{RESERVE_BYTES / GIB:.1f} included in total)",
             f"{'strategy':<9}{'weights':>8}{'grads':>8}{'adam':>8}{'activ.':>8}{'extra':>8}{'total':>8}  fits"]
    for p in plans:
        lines.append(f"{p.strategy:<9}{g(p.weights):>8}{g(p.grads):>8}{g(p.optimizer):>8}{g(p.activations):>8}"
                     f"{g(p.extra):>8}{g(p.total):>8}  {'yes' if p.fits else 'NO'}")
    choice = recommend(plans)
    lines.append(f"-> use {choice}" if choice else "-> nothing fits: lower the micro-batch (raise grad_accum_steps), "
                 "use more GPUs, or activation checkpointing")
    return "\n".join(lines)


def measure_cpu_step(config, micro_batch: int = 1, block_size: int = 32, seed: int = 0) -> dict:
    """Build `config` for real on the CPU and take ONE AdamW step on a tiny random batch.

    The check that a plan is more than arithmetic: the model builds, runs forward and backward,
    and the optimizer allocates its state. Returns seconds, loss and peak resident memory.
    """
    import resource
    import time

    import torch

    from phase1_model import GPT
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    model = GPT(config)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, foreach=False)  # foreach=False: no temporary copies
    x = torch.randint(0, config.vocab_size, (micro_batch, block_size + 1))
    _, loss = model(x[:, :-1], x[:, 1:])
    loss.backward()
    opt.step()
    seconds = time.perf_counter() - t0
    state = sum(v.nbytes for s in opt.state.values() for v in s.values() if torch.is_tensor(v) and v.dim() > 0)
    return {"seconds": seconds, "loss": loss.item(), "n_params": sum(p.numel() for p in model.parameters()),
            "adam_state_bytes": state, "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}


def main(argv: list[str] | None = None) -> int:
    """python -m phase4_distributed.planner --config examples/gpt_500m.py --nproc 8 --gpu_gib 80"""
    import argparse

    from phase2_training.config import load_config
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--config", default="examples/gpt_500m.py")
    ap.add_argument("--nproc", type=int, default=1)
    ap.add_argument("--gpu_gib", type=float, default=80.0)
    ap.add_argument("--vocab_size", type=int, default=None, help="default: the config's vocab_size")
    args = ap.parse_args(argv)
    cfg = load_config(args.config)
    shape = ModelShape.from_config(cfg.model_config(args.vocab_size or cfg.vocab_size))
    plans = plan_memory(shape, cfg.batch_size, cfg.block_size, args.nproc, args.gpu_gib * GIB, cfg.dtype)
    print(format_plan(shape, plans, cfg.batch_size, cfg.block_size, args.nproc, args.gpu_gib * GIB))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
