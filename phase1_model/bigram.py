"""The bigram baseline: predict the next token from the current one only.

A (vocab, vocab) table of logits: row i holds the scores of every possible next
token after token i. It is the simplest model with the GPT's interface
(`forward(idx, targets) -> (logits, loss)`), and its loss is the number the
transformer has to beat: whatever the GPT learns beyond the bigram comes from
looking further back.

Its best possible loss has a closed form. With counts n(a, b) of the pair
"a then b", the maximum-likelihood table is log P(b | a) = log n(a, b) / n(a, .)
and its loss is the empirical conditional entropy H(next | current), which
`bigram_counts_loss` computes with no gradient descent at all.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from phase1_model.softmax import softmax


class BigramLanguageModel(nn.Module):
    def __init__(self, vocab_size: int):
        super().__init__()
        self.vocab_size = vocab_size
        self.table = nn.Embedding(vocab_size, vocab_size)  # row = current token, column = next token's logit
        nn.init.zeros_(self.table.weight)  # uniform predictions: loss at init is exactly ln(vocab_size)

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None, ignore_index: int = -1):
        """idx (B, T) -> logits (B, T, V); loss = mean cross-entropy against targets (B, T), or None without
        targets. Positions whose target equals ignore_index are left out of the mean."""
        # >>> exercise 1.1 bigram_forward
        logits = self.table(idx)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, self.vocab_size), targets.reshape(-1), ignore_index=ignore_index)
        return logits, loss
        # <<< exercise 1.1 bigram_forward

    @torch.no_grad()
    def generate(self, idx: torch.Tensor, max_new_tokens: int, seed: int | None = None) -> torch.Tensor:
        """Append max_new_tokens samples to idx (B, T); only the last token matters to a bigram."""
        gen = torch.Generator(device=idx.device).manual_seed(seed) if seed is not None else None
        for _ in range(max_new_tokens):
            logits, _ = self(idx[:, -1:])
            nxt = torch.multinomial(softmax(logits[:, -1], dim=-1), 1, generator=gen)  # ours (softmax.py)
            idx = torch.cat([idx, nxt], dim=1)
        return idx

    @torch.no_grad()
    def fit_counts(self, tokens: torch.Tensor, smoothing: float = 1.0) -> BigramLanguageModel:
        """Set the table to the (add-`smoothing`) maximum-likelihood solution from a 1-D token stream."""
        V = self.vocab_size
        counts = torch.full((V, V), float(smoothing))
        counts.view(-1).index_add_(0, tokens[:-1] * V + tokens[1:], torch.ones(len(tokens) - 1))
        self.table.weight.copy_(torch.log(counts / counts.sum(1, keepdim=True)))
        return self


def bigram_counts_loss(tokens: list[int], vocab_size: int, smoothing: float = 1.0) -> float:
    """Mean -log P(next | current) of the add-`smoothing` count model, evaluated on the same tokens
    (plain Python: the independent check of BigramLanguageModel.fit_counts + forward)."""
    import math
    from collections import Counter
    pairs = Counter(zip(tokens, tokens[1:]))
    firsts = Counter(tokens[:-1])
    denom = {a: firsts[a] + smoothing * vocab_size for a in firsts}
    nll = [-math.log((pairs[a, b] + smoothing) / denom[a]) for a, b in zip(tokens, tokens[1:])]
    return sum(nll) / len(nll)
