"""Debugging challenge ★★★ (commit 1.5): "GPT-2 scales the residual projections by 1/sqrt(depth)."
A 2-layer model starts fine; a 24-layer model's activations at the top are ~40% larger than they
should be, and the deeper you go the worse the start. Find the bug; which test catches it?"""

TARGET = "phase1_model.gpt"
COMMIT = "1.5"
EXERCISE = "scale_residual_projections"

import math  # noqa: E402

import torch.nn as nn  # noqa: E402


def scale_residual_projections(self):
    std = 0.02 / math.sqrt(self.config.n_layer)
    for block in self.transformer.h:
        for proj in (block.attn.c_proj, block.mlp.c_proj):
            nn.init.normal_(proj.weight, mean=0.0, std=std)


GPT.scale_residual_projections = scale_residual_projections  # noqa: F821 (the copy's class)
