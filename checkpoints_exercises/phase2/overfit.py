"""Overfit a small set on purpose: the sanity check every training loop should pass first.

If a model cannot drive the loss on 1000 sentences to ~0, something between the
data and the optimizer is broken (Karpathy, "A Recipe for Training Neural
Networks", 2019: "overfit a single batch"). Checkpoint 2 runs this with AdamW,
phase 3 with Muon, and compares the step counts.

The set: the first 1000 sentences of 3..12 words of the default corpus (ASV),
each opened by <|bos|>, packed into fixed rows of block_size tokens. Fixed rows
(no random offsets) make the task pure memorisation: only the first tokens of a
row can stay ambiguous, so loss < 0.1 is reachable. Loss is measured as the mean
training loss over one epoch (every row once).

This is course code, not part of the training stack: the checkpoint scripts pass in
the learner's `pack` (pack_rows, 2.1) and `step_fn` (train_step, 2.3).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

from phase0_tokenizer.corpus import load_documents, truncate_utf8
from phase0_tokenizer.tokenizer import Tokenizer
from phase1_model import GPT, GPTConfig
from phase2_training.batching import pack_rows
from phase2_training.schedule import lr_multiplier, set_lr
from phase2_training.step import train_step

SENTENCE_END = re.compile(r"(?<=[.?!])\s+")


def checkpoint_sentences(n: int = 1000, min_words: int = 3, max_words: int = 12, corpus: str = "asv") -> list[str]:
    """The first n sentences with min_words..max_words words, skipping book titles and chapter headings."""
    out = []
    for doc in load_documents(corpus):
        for line in doc.splitlines()[1:]:           # line 0 is the book's title
            if not line or line.startswith("Chapter "):
                continue
            for sentence in SENTENCE_END.split(line.strip()):
                if min_words <= len(sentence.split()) <= max_words:
                    out.append(sentence)
                    if len(out) == n:
                        return out
    raise ValueError(f"the corpus has only {len(out)} sentences of {min_words}..{max_words} words, not {n}")


@dataclass
class OverfitSetup:
    config: OverfitConfig
    tokenizer: Tokenizer
    x: torch.Tensor
    y: torch.Tensor
    model: GPT


@dataclass
class OverfitConfig:
    sentences: int = 1000
    vocab_size: int = 2048
    tokenizer_bytes: int = 1_000_000   # the tokenizer learns from the corpus, not from the test set
    block_size: int = 64
    n_layer: int = 2
    n_head: int = 4
    n_embd: int = 128
    lineage: str = "nanochat"
    batch_size: int = 16
    lr: float = 3e-3
    warmup_steps: int = 10
    grad_clip: float = 1.0
    target_loss: float = 0.1
    max_steps: int = 3000
    time_limit_s: float = 600.0
    seed: int = 0


def build(cfg: OverfitConfig | None = None, pack: Callable = pack_rows) -> OverfitSetup:
    """Tokenizer, fixed (x, y) rows and a fresh model for the overfitting run."""
    cfg = cfg or OverfitConfig()
    text = "\n\n".join(load_documents("asv"))
    text = truncate_utf8(text, cfg.tokenizer_bytes)
    tokenizer = Tokenizer.train(text, cfg.vocab_size)
    ids = []
    for sentence in checkpoint_sentences(cfg.sentences):
        ids += [tokenizer.bos_id, *tokenizer.encode_ordinary(sentence)]
    x, y = pack(ids, cfg.block_size)
    torch.manual_seed(cfg.seed)
    model = GPT(GPTConfig.from_lineage(cfg.lineage, vocab_size=tokenizer.vocab_size, block_size=cfg.block_size,
                                       n_layer=cfg.n_layer, n_head=cfg.n_head, n_embd=cfg.n_embd))
    return OverfitSetup(cfg, tokenizer, x, y, model)


@dataclass
class OverfitResult:
    reached: bool
    steps: int
    epochs: int
    seconds: float
    loss: float                 # mean training loss of the last epoch
    history: list[float]        # epoch losses
    timed_out: bool = False     # stopped by time_limit_s with steps left (a slow or busy machine)


def overfit(setup: OverfitSetup, optimizer: torch.optim.Optimizer, step_fn: Callable = train_step,
            log: Callable[[str], None] | None = None) -> OverfitResult:
    """Train on setup's rows, epoch after epoch, until the epoch's mean loss < target_loss (or a limit)."""
    cfg, model, x, y = setup.config, setup.model, setup.x, setup.y
    g = torch.Generator().manual_seed(cfg.seed)
    model.train()
    steps, history, start = 0, [], time.perf_counter()
    while steps < cfg.max_steps and time.perf_counter() - start < cfg.time_limit_s:
        order, total = torch.randperm(len(x), generator=g), 0.0
        for i in range(0, len(x), cfg.batch_size):
            rows = order[i:i + cfg.batch_size]
            set_lr(optimizer, lr_multiplier(steps, "constant", cfg.warmup_steps, cfg.max_steps))
            total += step_fn(model, optimizer, [(x[rows], y[rows])], grad_clip=cfg.grad_clip).loss * len(rows)
            steps += 1
        history.append(total / len(x))
        if log:
            log(f"epoch {len(history):3d}  step {steps:5d}  loss {history[-1]:.4f}  "
                f"{time.perf_counter() - start:6.1f} s")
        if history[-1] < cfg.target_loss:
            break
    seconds = time.perf_counter() - start
    reached = history[-1] < cfg.target_loss
    return OverfitResult(reached, steps, len(history), seconds, history[-1], history,
                         timed_out=not reached and steps < cfg.max_steps)
