"""Case 3 — the loss starts far too high.

The owner: "I wrote my own weight init, the textbook one. The loss falls fast
for a hundred steps, so it is learning, but it ends worse than my colleague's run."

    python -m checkpoints_exercises.doctor.run 3
"""

from __future__ import annotations

import torch.nn as nn

from phase1_model import GPTConfig
from phase2_training.config import TrainConfig

config = TrainConfig(
    out_dir="runs/doctor/case3_starts_too_high",
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
    lr=3e-3,
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


def init_model(model: nn.Module) -> None:
    """The owner's init, applied after the model is built: every weight matrix ~ N(0, 1)."""
    for p in model.parameters():
        if p.dim() == 2:
            nn.init.normal_(p, mean=0.0, std=1.0)
