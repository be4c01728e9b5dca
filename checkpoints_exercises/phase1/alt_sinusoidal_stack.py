"""Alternative solution (commit 1.4, sinusoidal): stack sin and cos on a new last axis and flatten, so
channel 2i is sin and 2i+1 is cos without strided assignment into an empty table."""

TARGET = "phase1_model.positions"
COMMIT = "1.4"
EXERCISE = "sinusoidal"

import torch  # noqa: E402


def sinusoidal_embedding(T, n_embd, base=10000.0):
    t = torch.arange(T, dtype=torch.float32)[:, None]
    w = torch.exp(-torch.arange(0, n_embd, 2, dtype=torch.float32) / n_embd * torch.log(torch.tensor(base)))
    return torch.stack([torch.sin(t * w), torch.cos(t * w)], dim=-1).flatten(-2)
