"""The `make speedrun` config: the first record of the 10-minute CPU speedrun (docs/speedrun.md).

    python -m phase3_optim.speedrun                              # uses this file, writes runs/speedrun/
    python -m phase3_optim.speedrun --budget_s 120               # a short trial

max_steps is only a cap here: the speedrun measures the step time and plans the number of
steps so that the warmup-stable-decay schedule ends when the budget does.
"""

import os

from phase1_model import GPTConfig
from phase2_training.config import TrainConfig

# Eager optimizer steps: compiling the fused AdamW / Newton-Schulz kernels afresh (the rules allow no cache)
# costs 15-35 s of a loaded 2-core box, more than it saves on a model this small (phase3_optim/fused.py).
os.environ.setdefault("MNC_FUSED", "0")

config = TrainConfig(
    out_dir="runs/speedrun",
    corpus="asv",
    vocab_size=2048,
    tokenizer_bytes=2_219_158,      # the text before the first val book: the tokenizer never sees val
    val_fraction=0.05,
    model=GPTConfig(
        lineage="nanochat",
        n_layer=3,
        n_head=6,
        n_embd=192,
        block_size=128,
    ),
    optimizer="muon",
    batch_size=16,
    max_steps=1_000_000,
    lr=3e-3,
    warmup_steps=20,
    schedule="wsd",
    decay_frac=0.4,
    min_lr_frac=0.0,
    weight_decay=0.1,
    grad_clip=1.0,
    eval_interval=250,
    eval_iters=4,
    log_interval=25,
    checkpoint_interval=0,
    keep_checkpoints=1,
    progress=False,
    # One thread: on a shared box (load above the core count) two OpenMP threads wait on each other;
    # measured at this size on the loaded 2-core box: 650 ms per step with 1 thread, 1,800 ms with 2.
    # On an idle 2-core machine try --threads=2.
    threads=1,
)
