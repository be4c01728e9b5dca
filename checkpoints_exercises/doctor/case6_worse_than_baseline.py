"""Case 6 — a strong regulariser, a worse model.

The owner: "Weight decay regularises, so I raised it to 1.0, and I replaced the
optimizer set-up with the one-liner from the PyTorch docs. The run is stable,
but it ends clearly worse than the same config with the stack's optimizer,
and I do not see why: the optimizer is the same AdamW."

    python -m checkpoints_exercises.doctor.run 6
"""

from __future__ import annotations

import torch

from phase1_model import GPTConfig
from phase2_training.config import TrainConfig

config = TrainConfig(
    out_dir="runs/doctor/case6_worse_than_baseline",
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
    weight_decay=1.0,
    grad_clip=1.0,
    eval_interval=50,
    eval_iters=4,
    log_interval=5,
    checkpoint_interval=0,          # one checkpoint, at the end
    sample_tokens=40,
)


def make_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """The owner's optimizer: torch's AdamW with the config's hyper-parameters."""
    return torch.optim.AdamW(model.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2), eps=1e-8,
                             weight_decay=cfg.weight_decay)
