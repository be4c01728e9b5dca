"""Alternative solution (commit 1.2, split_heads): unflatten the channel dimension and permute.

`unflatten(-1, (n_head, head_dim))` is the same view as `.view(B, T, n_head, head_dim)`, and
`permute(0, 2, 1, 3)` is the same as `transpose(1, 2)`: head h still owns channels h*hd..(h+1)*hd-1."""

TARGET = "phase1_model.attention"
COMMIT = "1.2"
EXERCISE = "split_heads"


def split_heads(x, n_head):
    return x.unflatten(-1, (n_head, x.size(-1) // n_head)).permute(0, 2, 1, 3)
