"""Case 4 — validation looks too good.

The owner: "On a small corpus (two books) my validation loss is as low as the
training loss, sometimes lower, all run long. No overfitting at all! I wrote my
own loader set-up so that I could try a few things later."

    python -m checkpoints_exercises.doctor.run 4
"""

from __future__ import annotations

import torch

from phase0_tokenizer.data import SequentialLoader, TokenDataset
from phase1_model import GPTConfig
from phase2_training.config import TrainConfig
from phase2_training.data_prep import PreparedData

config = TrainConfig(
    out_dir="runs/doctor/case4_val_too_good",
    seed=1337,
    threads=1,                      # tiny tensors: a second thread only waits (and the box is shared)
    corpus="asv",
    max_bytes=250_000,              # two books: one for training, one held out
    vocab_size=512,
    tokenizer_bytes=300_000,
    val_fraction=0.5,
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


def make_loaders(cfg: TrainConfig, data: PreparedData, device: torch.device) -> tuple[SequentialLoader, list]:
    """The owner's copy of phase2_training.train.build_loaders: (shuffled train loader, fixed val batches)."""
    vocab = data.tokenizer.vocab_size
    train = TokenDataset(data.data_dir, "train", vocab)
    val = TokenDataset(data.data_dir, "train", vocab)
    loader = SequentialLoader(train, cfg.batch_size, cfg.block_size, device=device, shuffle=True, seed=cfg.seed)
    val_loader = SequentialLoader(val, cfg.batch_size, cfg.block_size, device=device)
    return loader, [next(val_loader) for _ in range(cfg.eval_iters)]
