"""A tiny GPT on the default corpus (the ASV Bible): a few minutes on a laptop CPU, seconds on a GPU.

    python -m phase2_training.train --config examples/tiny_model.py
    python -m phase2_training.train --config examples/tiny_model.py --max_steps=100 --device=cpu
"""

from phase1_model import GPTConfig
from phase2_training.config import TrainConfig

config = TrainConfig(
    out_dir="runs/tiny",
    corpus="asv",
    vocab_size=2048,
    model=GPTConfig(
        lineage="nanochat",
        n_layer=2,
        n_head=4,
        n_embd=128,
        block_size=128,
    ),
    batch_size=16,
    max_steps=300,
    lr=3e-3,
    warmup_steps=20,
    schedule="cosine",
    eval_interval=100,
    eval_iters=8,
    checkpoint_interval=100,
)
