"""Debugging challenge ★★★ (commit 3.2): this Newton-Schulz skips one line "because the gradients are
small anyway". On a small gradient it even looks fine. What happens to a singular value above 1 under
p(s) = a s + b s^3 + c s^5, five times? Which test catches it?"""

TARGET = "phase3_optim.muon"
COMMIT = "3.2"
EXERCISE = "newton_schulz"


def newton_schulz(G, steps=5, coefficients=(3.4445, -4.7750, 2.0315), eps=1e-7, dtype=None):
    import torch
    a, b, c = coefficients
    X = G.to(dtype or G.dtype)
    tall = G.size(-2) > G.size(-1)
    if tall:
        X = X.mT
    for _ in range(steps):
        A = X @ X.mT
        B = b * A + c * A @ A
        X = a * X + B @ X
    del torch
    return X.mT if tall else X
