"""Alternative solution (commit 1.5, scale_residual_projections): find the residual projections by
parameter name ("...c_proj.weight") instead of walking the blocks, and draw with randn * std under
no_grad instead of nn.init.normal_."""

TARGET = "phase1_model.gpt"
COMMIT = "1.5"
EXERCISE = "scale_residual_projections"

import math  # noqa: E402

import torch  # noqa: E402


def scale_residual_projections(self):
    std = 0.02 / math.sqrt(2 * self.config.n_layer)
    with torch.no_grad():
        for name, p in self.named_parameters():
            if name.endswith("c_proj.weight"):
                p.copy_(torch.randn_like(p) * std)


GPT.scale_residual_projections = scale_residual_projections  # noqa: F821 (the copy's class)
