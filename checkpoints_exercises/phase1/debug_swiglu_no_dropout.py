"""Debugging challenge ★★★ (commit 1.3): with dropout=0.1 the gpt2 and nanochat lineages overfit a
small corpus more slowly than with dropout=0, as expected, but the llama lineage overfits exactly as
fast either way. Find the bug; which test catches it?"""

TARGET = "phase1_model.mlp"
COMMIT = "1.3"
EXERCISE = "swiglu"

import torch.nn.functional as F  # noqa: E402


def forward(self, x):
    gate, up = self.c_fc(x).chunk(2, dim=-1)
    return self.c_proj(F.silu(gate) * up)


SwiGLUMLP.forward = forward  # noqa: F821 (SwiGLUMLP is the copy's class)
