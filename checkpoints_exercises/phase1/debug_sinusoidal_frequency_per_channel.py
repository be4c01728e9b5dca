"""Debugging challenge ★★★ (commit 1.4): the sinusoidal table looks right when plotted (fast waves in
the first channels, slow in the last), but the slowest wavelength is about 100 times shorter than
Vaswani et al.'s 10000 * 2π, so positions far apart get similar codes in the last channels.
Find the bug; which test catches it?

    python -m tools.challenges debug_sinusoidal_frequency_per_channel
"""
# ruff: noqa: F821 (runs inside a copy of phase1_model.positions: its imports and names are in scope)

TARGET = "phase1_model.positions"
COMMIT = "1.4"
EXERCISE = "sinusoidal"


def sinusoidal_embedding(T, n_embd, base=10000.0):
    freqs = base ** (-torch.arange(n_embd // 2, dtype=torch.float32) / n_embd)  # one frequency per pair i
    angles = torch.outer(torch.arange(T, dtype=torch.float32), freqs)
    pe = torch.empty(T, n_embd)
    pe[:, 0::2] = torch.sin(angles)
    pe[:, 1::2] = torch.cos(angles)
    return pe
