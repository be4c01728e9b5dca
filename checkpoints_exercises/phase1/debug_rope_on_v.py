"""Debugging challenge ★★★ (commit 1.4): "positions matter for everything, so let's rotate the
values too." The model still trains, but the same sentence gives different outputs depending on
where it starts in the context. Find the line; which test catches it? (Hint: what does RoPE promise
about q . k, and what do values have to do with positions?)"""

TARGET = "phase1_model.attention"
COMMIT = "1.4"
EXERCISE = "apply_rope"

import torch.nn.functional as F  # noqa: E402

from phase1_model.attention import CausalSelfAttention as _Reference  # noqa: E402
from phase1_model.attention import split_heads  # noqa: E402
from phase1_model.positions import apply_rotary_emb  # noqa: E402


class CausalSelfAttention(_Reference):
    def qkv(self, x, rope=None, kv_cache=None, layer_idx=0):
        q, k, v = self.c_attn(x).split(self.sizes, dim=-1)
        q, k, v = split_heads(q, self.n_head), split_heads(k, self.n_kv_head), split_heads(v, self.n_kv_head)
        if self.qk_norm:
            q, k = F.rms_norm(q, (self.head_dim,)), F.rms_norm(k, (self.head_dim,))
        if rope is not None:
            cos, sin = rope
            q, k, v = (apply_rotary_emb(t, cos, sin) for t in (q, k, v))
        if kv_cache is not None:
            k, v = kv_cache.update(layer_idx, k, v)
        return q, k, v
