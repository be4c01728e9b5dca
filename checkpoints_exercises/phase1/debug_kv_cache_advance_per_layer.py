"""Debugging challenge ★★★ (commit 1.5): "each layer stores T new keys, so each layer advances the
cache." Short generations work; a longer one dies with "KV cache full" long before block_size, and
a two-layer model dies twice as early as a one-layer model. Find the bug; which test catches it?"""

TARGET = "phase1_model.gpt"
COMMIT = "1.5"
EXERCISE = "gpt_forward"


def forward(self, idx, targets=None, ignore_index=-1, kv_cache=None):
    x, rope = self._embed(idx, kv_cache.pos if kv_cache is not None else 0)
    for i, block in enumerate(self.transformer.h):
        x = block(x, rope, kv_cache, i)
        if kv_cache is not None:
            kv_cache.advance(idx.size(1))
    return self.head(x, targets, ignore_index)


GPT.forward = forward  # noqa: F821 (GPT is the copy's class)
