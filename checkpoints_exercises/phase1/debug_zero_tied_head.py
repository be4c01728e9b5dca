"""Debugging challenge ★★★ (commit 1.5): "nanochat starts with a zero head." The untied nanochat
model starts at exactly ln(vocab) as promised; the same model with tie_embeddings=True also starts at
exactly ln(vocab) — and then never learns anything: every gradient into the embedding is zero at
step 0. Find the bug; which test catches it?"""

TARGET = "phase1_model.gpt"
COMMIT = "1.5"
EXERCISE = "zero_residual_branches"

import torch.nn as nn  # noqa: E402


def zero_residual_branches(self):
    for block in self.transformer.h:
        nn.init.zeros_(block.attn.c_proj.weight)
        nn.init.zeros_(block.mlp.c_proj.weight)
    nn.init.zeros_(self.lm_head.weight)


GPT.zero_residual_branches = zero_residual_branches  # noqa: F821 (the copy's class)
