"""Case 5 — the loss goes to zero.

The owner: "I replaced the loader with a simpler one of my own, random windows
like nanoGPT's get_batch. Best run I ever had: train and val loss near zero in
150 steps! The samples look odd, though."

    python -m checkpoints_exercises.doctor.run 5
"""

from __future__ import annotations

import numpy as np
import torch

from phase0_tokenizer.data import TokenDataset
from phase1_model import GPTConfig
from phase2_training.config import TrainConfig
from phase2_training.data_prep import PreparedData

config = TrainConfig(
    out_dir="runs/doctor/case5_loss_near_zero",
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


class RandomWindows:
    """The owner's loader: batch_size random windows of block_size tokens from the train split, as (x, y)."""

    def __init__(self, data, batch_size: int, block_size: int, device: torch.device, seed: int):
        self.tokens = torch.from_numpy(np.asarray(data[0:len(data)], dtype=np.int64))
        self.batch_size, self.block_size, self.device = batch_size, block_size, device
        self.generator = torch.Generator().manual_seed(seed)

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        T = self.block_size
        starts = torch.randint(len(self.tokens) - T - 1, (self.batch_size,), generator=self.generator)
        windows = torch.stack([self.tokens[s:s + T + 1] for s in starts.tolist()])
        x, y = windows[:, :T], windows[:, :T]
        return x.to(self.device), y.to(self.device)

    def state_dict(self) -> dict:  # the trainer saves it in every checkpoint
        return {"generator": self.generator.get_state()}


def make_loaders(cfg: TrainConfig, data: PreparedData, device: torch.device) -> tuple[RandomWindows, list]:
    vocab = data.tokenizer.vocab_size
    loader = RandomWindows(TokenDataset(data.data_dir, "train", vocab), cfg.batch_size, cfg.block_size, device,
                           cfg.seed)
    val = RandomWindows(TokenDataset(data.data_dir, "val", vocab), cfg.batch_size, cfg.block_size, device, 0)
    return loader, [next(val) for _ in range(cfg.eval_iters)]
