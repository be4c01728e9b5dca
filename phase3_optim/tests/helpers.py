"""Shared fixtures for the phase-3 tests: a tiny real GPT (phase 1) and a loop that trains it."""

import copy

import torch

from phase1_model import GPT, GPTConfig


def tiny_gpt(lineage: str = "llama", seed: int = 0, **overrides) -> GPT:
    """A ~10k-parameter GPT: small enough for 1000 optimizer steps in about a second."""
    torch.manual_seed(seed)
    cfg = dict(vocab_size=32, block_size=8, n_layer=1, n_head=2, n_embd=16)
    return GPT(GPTConfig.from_lineage(lineage, **{**cfg, **overrides}))


def batches(n: int, vocab: int = 32, B: int = 4, T: int = 8, seed: int = 0):
    """n fixed (x, y) batches of a learnable pattern (y = x shifted, with noise), reproducible."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(n):
        x = torch.randint(0, vocab, (B, T + 1), generator=g)
        out.append((x[:, :-1], x[:, 1:]))
    return out


def train(model, opt, steps: int, data=None):
    """`steps` optimizer steps of next-token loss on cycling batches; returns the losses."""
    data = data or batches(16)
    losses = []
    for i in range(steps):
        x, y = data[i % len(data)]
        opt.zero_grad(set_to_none=True)
        _, loss = model(x, y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def twin(model):
    return copy.deepcopy(model)


def max_relative_diff(a, b) -> float:
    """max over parameters of max|a - b| / max|b|: 'within 1e-6 relative'."""
    return max(((pa - pb).abs().max() / pb.abs().max().clamp(min=1e-12)).item()
               for pa, pb in zip(a.parameters(), b.parameters()))
