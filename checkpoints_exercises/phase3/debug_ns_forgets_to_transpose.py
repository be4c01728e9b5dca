"""Debugging challenge ★★★ (commit 3.2): this Newton-Schulz gives the right answer for every shape —
the iteration is a polynomial in the singular values whichever way the matrix stands — yet on a tall
(4 * n_embd, n_embd) MLP weight, Muon's step takes 16x longer than it should. What is X X^T's shape when
X is tall, and which test notices without a stopwatch?"""

TARGET = "phase3_optim.muon"
COMMIT = "3.2"
EXERCISE = "newton_schulz"


def newton_schulz(G, steps=5, coefficients=(3.4445, -4.7750, 2.0315), eps=1e-7, dtype=None):
    if G.ndim < 2:
        raise ValueError(f"newton_schulz needs a matrix (or a batch of them), got shape {tuple(G.shape)}")
    a, b, c = coefficients
    X = G.to(dtype or G.dtype)  # the bug: no transpose of a tall G, so A = X X^T is (m, m), not (n, n)
    X = X / X.norm(dim=(-2, -1), keepdim=True).clamp(min=eps)
    for _ in range(steps):
        A = X @ X.mT
        B = b * A + c * A @ A
        X = a * X + B @ X
    return X
