"""Debugging challenge ★★★ (commit 1.2): the model trains suspiciously well — training loss drops to
almost zero within a few hundred steps — yet what it generates is gibberish. Find the bug in this
attention forward; which test catches it, and why does the training loss lie?"""

TARGET = "phase1_model.attention"
COMMIT = "1.2"
EXERCISE = "attention"

import torch.nn.functional as F  # noqa: E402

from phase1_model.attention import CausalSelfAttention as _Reference  # noqa: E402
from phase1_model.attention import merge_heads, repeat_kv  # noqa: E402


class CausalSelfAttention(_Reference):
    def forward(self, x, rope=None, kv_cache=None, layer_idx=0):
        q, k, v = self.qkv(x, rope, kv_cache, layer_idx)
        n_rep = self.n_head // self.n_kv_head
        k, v = repeat_kv(k, n_rep), repeat_kv(v, n_rep)
        y = F.scaled_dot_product_attention(q, k, v, dropout_p=self.dropout if self.training else 0.0)
        return self.resid_dropout(self.c_proj(merge_heads(y)))
