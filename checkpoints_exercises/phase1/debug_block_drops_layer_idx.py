"""Debugging challenge ★★★ (commit 1.3): a one-layer model generates the same text with and without
the KV cache; with two layers or more the cached text drifts after the first token. Find the bug;
which test catches it, and why is the one-layer model immune?"""

TARGET = "phase1_model.block"
COMMIT = "1.3"
EXERCISE = "block_forward"


def forward(self, x, rope=None, kv_cache=None, layer_idx=0):
    x = x + self.attn(self.ln_1(x), rope, kv_cache)
    x = x + self.mlp(self.ln_2(x))
    return x


Block.forward = forward  # noqa: F821 (Block is the copy's class)
