"""Sampling text from a GPT, and the KV cache that makes it fast.

Generation is a loop: run the model on the context, turn the last position's
logits into a probability distribution, draw one token, append, repeat.
`sample_next_token` shapes the distribution:

- temperature t: softmax(logits / t). t < 1 sharpens, t > 1 flattens, t = 0 is
  greedy (argmax).
- top-k (Fan et al. 2018): keep the k most likely tokens.
- top-p, nucleus (Holtzman et al. 2019, arXiv:1904.09751): keep the smallest set
  of most likely tokens whose probabilities sum to at least p.

The KV cache. Without it every step re-runs the whole context: O(T^2) work for
T tokens. Keys and values of past tokens never change (causal attention), so we
keep them per layer and feed the model only the new token; its query attends to
the cached keys. Same logits, same tokens (a test checks), far less work. When
the context reaches block_size we drop the cache and re-run the last block_size
tokens, exactly what the uncached loop does when it crops its context.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


class KVCache:
    """Per-layer keys and values of the tokens seen so far; allocated on first use with k's dtype/device."""

    def __init__(self, n_layer: int, max_len: int):
        self.n_layer, self.max_len = n_layer, max_len
        self.k = self.v = None
        self.pos = 0  # number of positions already cached (the next token's position)

    def update(self, layer_idx: int, k: torch.Tensor, v: torch.Tensor):
        """Store k, v (B, H_kv, T, hd) at positions pos..pos+T-1; return every cached k, v up to pos+T."""
        B, H, T, D = k.shape
        if self.pos + T > self.max_len:
            raise ValueError(f"KV cache full: {self.pos} + {T} > max_len={self.max_len}")
        if self.k is None:
            self.k = k.new_zeros(self.n_layer, B, H, self.max_len, D)
            self.v = v.new_zeros(self.n_layer, B, H, self.max_len, D)
        self.k[layer_idx, :, :, self.pos:self.pos + T] = k
        self.v[layer_idx, :, :, self.pos:self.pos + T] = v
        return self.k[layer_idx, :, :, :self.pos + T], self.v[layer_idx, :, :, :self.pos + T]

    def advance(self, T: int) -> None:
        """Called once per forward, after the last layer stored its T new positions."""
        self.pos += T

    def reset(self) -> None:
        self.pos = 0


def sample_next_token(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                      top_p: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
    """logits (B, V) -> next token ids (B, 1) int64. temperature 0 = greedy (argmax); otherwise sample from
    softmax(logits / temperature) after filtering: top_k keeps the k most likely tokens, top_p the
    smallest set of most likely tokens whose probability reaches top_p (the most likely always stays).
    Draw with torch.multinomial(..., generator=generator): the generator alone decides the draw, so
    the same seed gives the same tokens."""
    # >>> exercise 1.5 sample_next_token
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits = logits.float() / temperature
    if top_k is not None and top_k < logits.size(-1):
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    if top_p is not None and top_p < 1.0:
        sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
        probs = F.softmax(sorted_logits, dim=-1)
        mass_before = probs.cumsum(dim=-1) - probs  # probability of the more likely tokens
        sorted_logits = sorted_logits.masked_fill(mass_before >= top_p, float("-inf"))  # the first always stays
        logits = torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)
    probs = F.softmax(logits, dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator)
    # <<< exercise 1.5 sample_next_token


@torch.no_grad()
def generate(model, idx: torch.Tensor, max_new_tokens: int, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None, seed: int | None = None, use_cache: bool = True) -> torch.Tensor:
    """Append max_new_tokens tokens to idx (B, T). `seed` makes it reproducible; `use_cache` changes the
    speed, never the tokens. The model must take forward(idx, kv_cache=...) and have config.block_size."""
    block_size = model.config.block_size
    gen = torch.Generator(device=idx.device).manual_seed(seed) if seed is not None else None
    was_training = model.training
    model.eval()
    try:
        cache = KVCache(model.config.n_layer, block_size) if use_cache else None
        logits = None
        for _ in range(max_new_tokens):
            if cache is None or cache.pos == 0 or cache.pos == block_size:
                if cache is not None:
                    cache.reset()  # full (or first step): (re)fill from the last block_size tokens
                logits, _ = model(idx[:, -block_size:], kv_cache=cache)
            else:
                logits, _ = model(idx[:, -1:], kv_cache=cache)  # only the newest token is new
            nxt = sample_next_token(logits[:, -1, :], temperature, top_k, top_p, gen)
            idx = torch.cat([idx, nxt], dim=1)
    finally:
        model.train(was_training)
    return idx
