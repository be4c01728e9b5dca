"""Alternative solution (commit 2.2, pack_rows): the rows are cut one at a time in a loop and
stacked, instead of two reshaped views of the stream. Slower for big corpora (n small tensors and
a copy), the same rows: row r is ids[r*T : r*T + T], its targets one token further on."""

TARGET = "phase2_training.batching"
COMMIT = "2.2"
EXERCISE = "pack_rows"


def pack_rows(ids, block_size):
    import torch

    ids = torch.as_tensor(ids, dtype=torch.long).flatten()
    n = (len(ids) - 1) // block_size
    if n < 1:
        raise ValueError(f"{len(ids)} tokens cannot fill one row of block_size={block_size} plus its target: "
                         "use more text or a smaller block_size")
    starts = range(0, n * block_size, block_size)
    x = torch.stack([ids[s:s + block_size] for s in starts])
    y = torch.stack([ids[s + 1:s + block_size + 1] for s in starts])
    return x, y
