"""Alternative solution (commit 3.2, newton_schulz): the quintic Newton-Schulz iteration in the canonical
form of the Muon post (A = X X^T; B = b A + c A A; X = a X + B X), with plain `@` and arithmetic instead
of the reference's fused torch.addmm / torch.baddbmm calls, and `@` handling both a single matrix and a
batch. Same function; in bf16 its rounding differs from torch.optim.Muon's, in float32/64 it agrees."""

TARGET = "phase3_optim.muon"
COMMIT = "3.2"
EXERCISE = "newton_schulz"


def newton_schulz(G, steps=5, coefficients=(3.4445, -4.7750, 2.0315), eps=1e-7, dtype=None):
    if G.ndim < 2:
        raise ValueError(f"newton_schulz needs a matrix (or a batch of them), got shape {tuple(G.shape)}")
    a, b, c = coefficients
    X = G.to(dtype or G.dtype)
    if G.size(-2) > G.size(-1):  # tall: orthogonalize the transpose, whose Gram matrix is the small one
        return newton_schulz(G.mT, steps, coefficients, eps, dtype).mT
    X = X / (X.norm(dim=(-2, -1), keepdim=True) + eps)
    for _ in range(steps):
        A = X @ X.mT
        B = b * A + c * A @ A
        X = a * X + B @ X
    return X
