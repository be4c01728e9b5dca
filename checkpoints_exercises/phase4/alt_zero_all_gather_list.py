"""Alternative solution (commit 4.2, zero_all_gather): `dist.all_gather` into a list of W shard
tensors (the older list API) and torch.cat, instead of one preallocated flat buffer; the params are
then refilled with torch.split by their sizes. One extra copy of N numbers, the same result."""

TARGET = "phase4_distributed.zero"
COMMIT = "4.2"
EXERCISE = "zero_all_gather"


def all_gather_params(params, pieces, shard_size, world_size, group=None):
    import torch
    import torch.distributed as dist

    if world_size == 1:
        return
    with torch.no_grad():
        mine = torch.zeros(shard_size, dtype=params[0].dtype, device=params[0].device)
        for p, _, a, b, off in pieces:
            mine[off:off + b - a].copy_(p.view(-1)[a:b])
        shards = [torch.empty_like(mine) for _ in range(world_size)]
        dist.all_gather(shards, mine, group=group)
        full = torch.cat(shards)[:sum(p.numel() for p in params)]  # drop the last shard's padding
        for p, values in zip(params, torch.split(full, [p.numel() for p in params])):
            p.view(-1).copy_(values)
