"""The demo pipeline with a bigger model, for one GPU (bf16 autocast, torch.compile):

    python -m phase2_training.demo --config examples/demo_gpu.py --out runs/demo_gpu

Same corpus and pipeline as the CPU demo (examples/demo_cpu.py), a bigger model and run:
33.6M parameters (nanochat lineage, 8 layers x 512, vocabulary 8192, untied head) and
64 x 512 tokens per step, 3000 steps (~98M tokens, ~109 epochs of the ASV train split,
which is 0.9M tokens with this vocabulary: 899,248).
"""

from phase2_training.config import TrainConfig

config = TrainConfig(
    out_dir="runs/demo_gpu",
    corpus="asv",
    vocab_size=8192,
    tokenizer_bytes=None,
    val_fraction=0.05,
    lineage="nanochat",
    n_layer=8,
    n_head=8,
    n_embd=512,
    block_size=512,
    batch_size=64,
    max_steps=3000,
    lr=2e-3,
    warmup_steps=100,
    schedule="wsd",
    decay_frac=0.3,
    weight_decay=0.1,
    grad_clip=1.0,
    dropout=0.1,
    dtype="bf16",
    compile=True,
    eval_interval=250,
    eval_iters=20,
    log_interval=25,
    checkpoint_interval=1000,
)
