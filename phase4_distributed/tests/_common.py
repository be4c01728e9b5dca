"""Shared set-up for the phase-4 tests: a tiny GPT, fixed token batches, parameter comparison."""

import torch

WORLD = 2


def tiny_gpt(seed: int = 0, lineage: str = "gpt2"):
    from phase1_model import GPT, GPTConfig
    torch.manual_seed(seed)
    return GPT(GPTConfig.from_lineage(lineage, vocab_size=64, block_size=16, n_layer=2, n_head=2, n_embd=32))


def token_batches(n: int, batch: int = 2, block: int = 16, seed: int = 1) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """n micro-batches (x, y) of random tokens, the same on every call (and every rank)."""
    g = torch.Generator().manual_seed(seed)
    rows = [torch.randint(0, 64, (batch, block + 1), generator=g) for _ in range(n)]
    return [(r[:, :-1], r[:, 1:]) for r in rows]


def rank_slice(items: list, rank: int, world: int) -> list:
    """Rank r's contiguous share of a global list of micro-batches."""
    per = len(items) // world
    return items[rank * per:(rank + 1) * per]


def weights(model) -> dict:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def assert_same_weights(actual: dict, expected: dict, atol: float = 1e-5) -> None:
    assert actual.keys() == expected.keys(), (sorted(set(actual) ^ set(expected)))
    for k in expected:
        torch.testing.assert_close(actual[k], expected[k], rtol=0, atol=atol, msg=lambda m, k=k: f"{k}: {m}")


def adamw_state_bytes(optimizer: torch.optim.Optimizer) -> int:
    """Bytes held in an unsharded optimizer's state tensors (the oracle ZeroAdamW is measured against)."""
    return sum(v.nbytes for s in optimizer.state.values() for v in s.values() if torch.is_tensor(v) and v.dim() > 0)


def local_numel(model) -> int:
    """Parameter elements stored on THIS rank (the local shards of DTensors; everything otherwise)."""
    return sum((p.to_local() if hasattr(p, "to_local") else p).numel() for p in model.parameters())
