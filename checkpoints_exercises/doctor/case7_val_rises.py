"""Case 7 — validation gets worse while training gets better.

The owner: "My own loader walks the training split in order, no shuffling, so
that every run sees the same data. The training loss is the best I have seen,
but validation goes up almost from the start. Classic overfitting, so do I
need dropout?"

    python -m checkpoints_exercises.doctor.run 7
"""

from __future__ import annotations

import numpy as np
import torch

from phase0_tokenizer.data import TokenDataset
from phase1_model import GPTConfig
from phase2_training.config import TrainConfig
from phase2_training.data_prep import PreparedData

config = TrainConfig(
    out_dir="runs/doctor/case7_val_rises",
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
    max_steps=150,
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


class InOrder:
    """The owner's loader: the train split in order, batch_size windows of block_size (+1) tokens at a time."""

    def __init__(self, data, batch_size: int, block_size: int, device: torch.device):
        self.data, self.batch_size, self.block_size, self.device = data, batch_size, block_size, device
        self.position = 0  # where the next batch starts

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        B, T = self.batch_size, self.block_size
        if self.position + B * T + 1 > len(self.data):  # the end of the split: start over
            self.position = 0
        start = self.position
        rows = torch.stack([torch.from_numpy(np.asarray(self.data[start + i * T:start + i * T + T + 1], dtype=np.int64))
                            for i in range(B)])
        return rows[:, :-1].to(self.device), rows[:, 1:].to(self.device)

    def state_dict(self) -> dict:  # the trainer saves it in every checkpoint
        return {"position": self.position}


def make_loaders(cfg: TrainConfig, data: PreparedData, device: torch.device) -> tuple[InOrder, list]:
    vocab = data.tokenizer.vocab_size
    loader = InOrder(TokenDataset(data.data_dir, "train", vocab), cfg.batch_size, cfg.block_size, device)
    val = InOrder(TokenDataset(data.data_dir, "val", vocab), cfg.batch_size, cfg.block_size, device)
    return loader, [next(val) for _ in range(cfg.eval_iters)]
