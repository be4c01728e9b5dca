"""The `make demo` config: a small GPT on the ASV Bible, sized to finish in <= 10 minutes on 2 CPU cores.

    python -m phase2_training.demo                               # uses this file, writes runs/demo/
    python -m phase2_training.train --config examples/demo_cpu.py    # the training part only
"""

from phase1_model import GPTConfig
from phase2_training.config import TrainConfig

config = TrainConfig(
    out_dir="runs/demo",
    corpus="asv",
    vocab_size=2048,
    tokenizer_bytes=None,          # the whole corpus: BPE training takes seconds here
    val_fraction=0.05,
    model=GPTConfig(
        lineage="nanochat",
        n_layer=2,
        n_head=4,
        n_embd=128,
        block_size=128,
    ),
    batch_size=16,
    max_steps=1200,
    lr=3e-3,
    warmup_steps=30,
    schedule="wsd",
    decay_frac=0.3,
    weight_decay=0.1,
    grad_clip=1.0,
    eval_interval=200,
    eval_iters=8,
    log_interval=10,
    checkpoint_interval=400,
    threads=2,
)
