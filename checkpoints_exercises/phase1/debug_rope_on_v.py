"""Debugging challenge ★★★ (commit 1.4): "positions matter for everything, so let's rotate the
values too." The model still trains, but the same sentence gives different outputs depending on
where it starts in the context. Find the line; which test catches it? (Hint: what does RoPE promise
about q . k, and what do values have to do with positions?)"""

TARGET = "phase1_model.attention"
COMMIT = "1.4"
EXERCISE = "rope"

from phase1_model.attention import CausalSelfAttention as _Reference  # noqa: E402
from phase1_model.positions import Rotate  # noqa: E402


class CausalSelfAttention(_Reference):
    def qkv(self, x, rope=None, kv_cache=None, layer_idx=0):
        q, k, v = self.c_attn(x).split(self.sizes, dim=-1)
        q, k, v = (t.unflatten(-1, (-1, self.head_dim)).transpose(1, 2) for t in (q, k, v))
        if self.qk_norm:
            q, k = self.head_norm(q), self.head_norm(k)
        if rope is not None:
            q, k, v = (Rotate.apply(t, rope, self.rope_theta) for t in (q, k, v))
        if kv_cache is not None:
            k, v = kv_cache.update(layer_idx, k, v)
        return q, k, v
