"""Checkpoint 4: data-parallel training that is correct AND scales: weak-scaling efficiency
>= 0.8 from 1 to N processes (gloo on CPU, nccl on GPUs).

    make checkpoint4                          # your code: phase4_distributed/exercises/*.py
    IMPL=reference make checkpoint4           # the reference implementation
    python -m checkpoints_exercises.phase4.checkpoint --nproc 2        # CPU: 2 ranks, 1 thread each
    python -m checkpoints_exercises.phase4.checkpoint --nproc 8        # a machine with 8 GPUs

Two stages, with the chosen code:
1. correctness: 2 gloo ranks run DDP with your no_sync accumulation (4.2) and must end with
   the weights of one process accumulating over all their micro-batches (within 1e-5);
2. scaling: `python -m phase4_distributed.scaling --nproc 1,N` times the same DDP step under
   torchrun and computes tokens/s(N) / (N x tokens/s(1)).
On CPU the default N is 2 (this course's CI machine has 2 cores: N ranks need N free cores);
on GPUs it is the GPU count and the model is examples/gpt_500m.py's (bf16). Exit 0 on PASS.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from checkpoints_exercises import parse_checkpoint_args
from tools.impl import learner_todo, load_impl

THRESHOLD = 0.8


def _ddp_equals_single_process(ddp) -> float:
    """Max |weight difference| between 2-rank DDP (the chosen accumulate_gradients) and 1 process."""
    from phase1_model import GPT, GPTConfig
    from phase4_distributed.dist import run_local

    def tiny_gpt():
        torch.manual_seed(0)
        return GPT(GPTConfig(vocab_size=64, block_size=16, n_layer=2, n_head=2, n_embd=32))

    def batches(step, rank=0, world=1):  # 4 micro-batches per step in all, split between the ranks
        g = torch.Generator().manual_seed(step)
        rows = [torch.randint(0, 64, (2, 17), generator=g) for _ in range(4)]
        return [(r[:, :-1], r[:, 1:]) for r in rows][rank * 4 // world:(rank + 1) * 4 // world]

    def train(model, rank=0, world=1, steps=3):
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        for s in range(steps):
            ddp.accumulate_gradients(model, batches(s, rank, world))
            opt.step()
            opt.zero_grad(set_to_none=True)
        return {k: v.detach().clone() for k, v in ddp.unwrap(model).state_dict().items()}

    torch.set_num_threads(1)
    expected = train(tiny_gpt())
    results = run_local(lambda ctx: train(ddp.wrap_ddp(tiny_gpt(), ctx), ctx.rank, ctx.world_size), 2)
    return max((r[k] - expected[k]).abs().max().item() for r in results for k in expected)


def main(argv: list[str] | None = None) -> int:
    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nproc", type=int, default=gpus or 2, help="largest world size (GPUs: the GPU count)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per world size")
    parser.add_argument("--repeat", type=int, default=2, help="runs per world size, interleaved; the best is kept")
    parser.add_argument("--config", default="examples/gpt_500m.py" if gpus else None,
                        help="model and batch to time (default: a small CPU GPT; GPUs: examples/gpt_500m.py)")
    parser.add_argument("--out", default="runs/checkpoint4")
    args = parse_checkpoint_args(parser, argv, "phase4_distributed")

    impl = args.impl
    print(f"Checkpoint 4 - scaling efficiency, 1 vs {args.nproc} processes")
    if impl == "learner":
        todo = learner_todo("4")
        if todo:
            print("  exercises still TODO: " + ", ".join(f"{ex.commit} {ex.name}" for ex in todo))
    ddp = load_impl("phase4_distributed.ddp", impl)
    try:
        err = _ddp_equals_single_process(ddp)
    except (NotImplementedError, RuntimeError) as e:  # a stub raises here, or in a rank (RuntimeError)
        if isinstance(e, NotImplementedError) or "NotImplementedError" in str(e):
            print("FAIL: ddp.accumulate_gradients (exercise 4.2) is still a stub. Finish it (make phase4.2 shows "
                  "what is left), or run the reference: IMPL=reference make checkpoint4")
            return 1
        raise
    print(f"  correctness: 2-rank DDP vs 1 process, max |dw| = {err:.2e}  ({'ok' if err <= 1e-5 else 'WRONG'})")
    if err > 1e-5:
        print("FAIL: DDP with your accumulation does not train like one process on the same micro-batches; "
              "run make phase4.2 to see which property breaks")
        return 1

    from phase4_distributed import scaling
    cli = ["--nproc", f"1,{args.nproc}", "--steps", str(args.steps), "--repeat", str(args.repeat), "--out", args.out,
           "--impl", impl]
    cli += ["--config", args.config] if args.config else []
    scaling_args = scaling.parse_args(cli)
    print(f"  timing: python -m phase4_distributed.scaling {' '.join(cli)}")
    results = scaling.measure([1, args.nproc], scaling_args)
    print("  " + scaling.report(results, Path(args.out)).replace("\n", "\n  "))
    eff = scaling.efficiency(results)[-1]
    if eff >= THRESHOLD:
        print(f"PASS: weak-scaling efficiency {eff:.3f} >= {THRESHOLD} for 1 -> {args.nproc} processes")
        return 0
    print(f"FAIL: weak-scaling efficiency {eff:.3f} < {THRESHOLD}. Is every rank on its own core/GPU (other "
          "programs running)? Does accumulation sync only once per step (no_sync)? See phase4_distributed/README.md")
    return 1


if __name__ == "__main__":
    sys.exit(main())
