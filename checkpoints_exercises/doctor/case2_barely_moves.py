"""Case 2 — the loss barely moves.

The owner: "Nothing crashes, no nan, the loss goes down every time I look. But
after the whole run it is still almost where it started. Is the model too small?"

    python -m checkpoints_exercises.doctor.run 2
"""

from __future__ import annotations

from phase1_model import GPTConfig
from phase2_training.config import TrainConfig

config = TrainConfig(
    out_dir="runs/doctor/case2_barely_moves",
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
    lr=3e-6,
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
