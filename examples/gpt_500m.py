"""A ~500M-parameter GPT (nanochat lineage, 22 layers x 1280, 516M parameters) for GPUs.

bf16 autocast, torch.compile, and the distributed strategy the memory planner picks
("auto": DDP when the replicas fit, else ZeRO-1 or FSDP). On 8 GPUs one step is
8 x 16 x 1024 x 4 = 524,288 tokens (nanochat's batch); on fewer GPUs raise
grad_accum_steps to keep it (phase4_distributed/README.md, "GPU guide").

    torchrun --nproc_per_node=8 -m phase4_distributed.train --config examples/gpt_500m.py
    torchrun --nproc_per_node=1 -m phase4_distributed.train --config examples/gpt_500m.py --grad_accum_steps=32
    python examples/gpt_500m.py                    # any machine: size and memory plan (meta device, no memory)
    python examples/gpt_500m.py --cpu-step         # CPU: build it for real and take one tiny AdamW step (~8 GB RAM)
"""

from phase1_model import GPTConfig
from phase2_training.config import TrainConfig

config = TrainConfig(
    out_dir="runs/gpt_500m",
    corpus="fineweb-edu",          # downloaded once (phase0_tokenizer.corpus), then offline
    vocab_size=32768,
    tokenizer_bytes=20_000_000,
    model=GPTConfig(
        lineage="nanochat",
        n_layer=22,
        n_head=10,                 # head_dim 128
        n_embd=1280,
        block_size=1024,
    ),
    batch_size=16,                 # per GPU per micro-batch
    grad_accum_steps=4,            # x 8 GPUs -> 524,288 tokens per step
    max_steps=5000,
    lr=3e-4,
    warmup_steps=200,
    schedule="cosine",
    weight_decay=0.1,
    grad_clip=1.0,
    dtype="bf16",
    compile=True,
    strategy="auto",
    eval_interval=250,
    eval_iters=20,
    log_interval=10,
    checkpoint_interval=500,
    progress=True,
)


if __name__ == "__main__":
    import sys

    from phase1_model import count_parameters
    from phase4_distributed.planner import ModelShape, measure_cpu_step
    from phase4_distributed.strategy import memory_table

    model_config = config.model_config(config.vocab_size)
    shape = ModelShape.from_config(model_config)
    print(f"gpt_500m: {shape.n_params:,} parameters ({shape.n_params / 1e6:.0f}M), "
          f"{config.model.n_layer} layers x {config.model.n_embd}, vocab {config.vocab_size}, "
          f"context {config.block_size}")
    for gpus, gib in ((1, 80), (8, 80), (8, 24)):
        print()
        print(memory_table(model_config, config.batch_size, config.block_size, gpus, gib, config.dtype))
    if "--cpu-step" in sys.argv:
        import torch
        with torch.device("meta"):
            from phase1_model import GPT
            print(count_parameters(GPT(model_config)))
        r = measure_cpu_step(model_config, micro_batch=1, block_size=32)
        print(f"\none real CPU step (1 x 32 tokens, fp32, AdamW): {r['seconds']:.1f} s, loss {r['loss']:.3f} "
              f"(ln V = {__import__('math').log(config.vocab_size):.3f}), Adam state "
              f"{r['adam_state_bytes'] / 2**30:.2f} GiB, peak RSS {r['peak_rss_bytes'] / 2**30:.2f} GiB")
