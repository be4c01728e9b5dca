"""Debugging challenge ★ (commit 1.1): the llama and nanochat lineages (bias=False) train exactly as
before, but the gpt2 lineage learns a little worse than the reference, and zeroing every bias in a
trained gpt2 checkpoint changes nothing at all. Find the bug; which test catches it?"""

TARGET = "phase1_model.linear"
COMMIT = "1.1"
EXERCISE = "linear_forward"


def forward(self, x):
    if x.size(-1) != self.in_features:
        raise ValueError(f"Linear({self.in_features} -> {self.out_features}) got last dimension {x.size(-1)}")
    return x @ self.weight.T


Linear.forward = forward  # noqa: F821 (the copy's class)
