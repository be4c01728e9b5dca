"""Debugging challenge ★★★ (commit 1.3): with dropout=0.1 the gpt2 and nanochat lineages overfit a
small corpus more slowly than with dropout=0, as expected, but the llama lineage overfits exactly as
fast either way. Find the bug; which test catches it?"""

TARGET = "phase1_model.mlp"
COMMIT = "1.3"
EXERCISE = "mlp"


def forward(self, x):
    h = self.c_fc(x)
    if self.kind == "swiglu":
        gate, up = h.chunk(2, dim=-1)
        return self.c_proj(self.silu(gate) * up)
    h = self.gelu(h, approximate="tanh") if self.kind == "gelu" else ReLUSquared.apply(h)  # noqa: F821
    return self.dropout(self.c_proj(h))


MLP.forward = forward  # noqa: F821 (MLP is the copy's class)
