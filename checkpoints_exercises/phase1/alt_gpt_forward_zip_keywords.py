"""Alternative solution (commit 1.5, gpt_forward): the blocks applied by zip with keyword arguments,
the first position read into a name, and the KV cache advanced once, after the last block, by the
number of new tokens."""

TARGET = "phase1_model.gpt"
COMMIT = "1.5"
EXERCISE = "gpt_forward"


def forward(self, idx, targets=None, ignore_index=-1, kv_cache=None):
    start = 0 if kv_cache is None else kv_cache.pos
    x, rope = self._embed(idx, pos0=start)
    for layer_idx, block in zip(range(self.config.n_layer), self.transformer.h):
        x = block(x, rope=rope, kv_cache=kv_cache, layer_idx=layer_idx)
    if kv_cache is not None:
        kv_cache.advance(idx.shape[1])
    return self.head(x, targets, ignore_index)


GPT.forward = forward  # noqa: F821 (the copy's class)
