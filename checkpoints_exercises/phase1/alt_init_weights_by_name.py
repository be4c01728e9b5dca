"""Alternative solution (commit 1.5, init_weights): one pass over named parameters, choosing each
tensor's rule from its name and shape instead of from its module's type. Residual projections end
in "c_proj.weight", the head is "lm_head.weight", embeddings start with "transformer.wte"/"wpe",
1-D tensors are biases (0) or norm weights (1)."""

TARGET = "phase1_model.gpt"
COMMIT = "1.5"
EXERCISE = "init_weights"

import math  # noqa: E402

import torch.nn as nn  # noqa: E402


def init_weights(self):
    cfg = self.config
    nanochat = cfg.init == "nanochat"
    embed_std = 1.0 if nanochat else 0.02
    # remove_duplicate=True: a tied matrix is listed once, under its first name (transformer.wte.weight)
    for name, p in self.named_parameters():
        if p.dim() == 1:
            nn.init.zeros_(p) if name.endswith("bias") else nn.init.ones_(p)
        elif name.startswith(("transformer.wte", "transformer.wpe")):
            nn.init.normal_(p, 0.0, embed_std)
        elif name.endswith("c_proj.weight"):
            if nanochat:
                nn.init.zeros_(p)
            else:
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.n_layer))
        elif name == "lm_head.weight":  # untied head (a tied one was handled as wte)
            if nanochat:
                nn.init.zeros_(p)
            else:
                nn.init.normal_(p, 0.0, 0.02)
        else:  # c_attn, c_fc
            fan_out, fan_in = p.shape
            std = min(1.0, math.sqrt(fan_out / fan_in)) / math.sqrt(fan_in) if nanochat else 0.02
            nn.init.normal_(p, 0.0, std)


GPT.init_weights = init_weights  # noqa: F821 (the copy's class)
