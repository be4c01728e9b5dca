"""Case 1 — the loss climbs.

The owner: "The tiny config learns too slowly for my taste, so I turned the
learning rate up. Now the loss goes the wrong way, and it never says nan."

    python -m checkpoints_exercises.doctor.run 1
"""

from __future__ import annotations

from phase1_model import GPTConfig
from phase2_training.config import TrainConfig

config = TrainConfig(
    out_dir="runs/doctor/case1_loss_climbs",
    seed=1337,
    threads=1,                      # tiny tensors: a second thread only waits (and the box is shared)
    corpus="asv",
    vocab_size=512,
    tokenizer_bytes=300_000,
    val_fraction=0.1,
    model=GPTConfig(
        lineage="gpt2",
        n_layer=2,
        n_head=4,
        n_embd=64,
        block_size=64,
    ),
    optimizer="adamw",
    batch_size=8,
    max_steps=300,
    lr=1.0,
    schedule="cosine",
    warmup_steps=20,
    weight_decay=0.1,
    grad_clip=1.0,
    eval_interval=50,
    eval_iters=4,
    log_interval=5,
    checkpoint_interval=0,          # one checkpoint, at the end
    sample_tokens=40,
)
