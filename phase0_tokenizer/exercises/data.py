# Learner stub GENERATED from phase0_tokenizer/data.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""The data pipeline: token shards on disk, then batches of (input, target) windows.

Tokenize once, train many times. Documents become one stream of token ids, each
document opened by BOS so the model can tell where a new one starts
("<|bos|>" ... "<|bos|>" ..., as in nanochat; GPT-2 puts <|endoftext|> between
documents). The stream is written as raw little-endian uint16 (vocab <= 65536)
or uint32 files, "shards", plus a meta.json (ADR 005). Training memory-maps
them, so opening a corpus bigger than RAM costs nothing.

A language model learns p(x[t+1] | x[..t]), so a training example is a window of
T+1 tokens: x = tokens[i : i+T] and y = tokens[i+1 : i+T+1], the same window
shifted by one. Two ways to pick windows:

- get_batch: random starts, as in nanoGPT; simple, for single-process training;
- SequentialLoader: every non-overlapping window once per epoch, split across
  ranks (phase 4) and resumable at an exact position (phase 2.4).

token_bytes gives each token's UTF-8 length, which turns a loss in nats per
token into bits per byte, a number comparable across tokenizers (phase 2.1).
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

from phase0_tokenizer.atomic import atomic_write_bytes

FORMAT_NAME, FORMAT_VERSION = "mini-nanochat token shards", 1
META = "meta.json"


# ---- writing and reading shards (ADR 005) ---------------------------------------------------------
def shard_dtype(vocab_size: int) -> np.dtype:
    """uint16 while every id fits in 16 bits (half the disk and page cache of uint32), else uint32."""
    return np.dtype("<u2") if vocab_size <= 1 << 16 else np.dtype("<u4")


def is_val_document(index: int, val_fraction: float) -> bool:
    """Document `index` goes to val when floor((i+1)f) > floor(i f): every 1/f-th document, streaming."""
    return int((index + 1) * val_fraction) > int(index * val_fraction)


def write_shards(tokenizer, docs: Iterable[str], out_dir: str | Path, shard_tokens: int = 1 << 24,
                 val_fraction: float = 0.1) -> dict:
    """Tokenize `docs` (untrusted text: special-token strings stay text) into train/val shards.

    Each document becomes [BOS, *ids]; shards are filled to exactly `shard_tokens` (a document may
    continue in the next shard). meta.json is written last, so a crash never leaves a dataset
    that looks complete. Returns the meta dict.
    """
    if not 0 <= val_fraction < 1 or shard_tokens < 1:
        raise ValueError(f"need 0 <= val_fraction < 1 and shard_tokens >= 1, got {val_fraction}, {shard_tokens}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / META).unlink(missing_ok=True)  # the dataset is invalid until the new meta.json lands
    dtype = shard_dtype(tokenizer.vocab_size)
    writers = {split: _ShardWriter(out, split, dtype, shard_tokens) for split in ("train", "val")}
    n_docs = {"train": 0, "val": 0}
    for i, doc in enumerate(docs):
        split = "val" if is_val_document(i, val_fraction) else "train"
        writers[split].add([tokenizer.bos_id, *tokenizer.encode_ordinary(doc)])
        n_docs[split] += 1
    meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "dtype": dtype.name, "vocab_size": tokenizer.vocab_size,
            "bos_id": tokenizer.bos_id, "documents": n_docs,
            "splits": {split: w.close() for split, w in writers.items()}}
    atomic_write_bytes(out / META, json.dumps(meta, indent=1).encode())
    return meta


class _ShardWriter:
    def __init__(self, out: Path, split: str, dtype: np.dtype, shard_tokens: int):
        self.out, self.split, self.dtype = out, split, dtype
        self.buf, self.fill, self.shards = np.empty(shard_tokens, dtype), 0, []

    def add(self, ids: list[int]) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        while len(ids):
            take = min(len(ids), len(self.buf) - self.fill)
            self.buf[self.fill:self.fill + take] = ids[:take]
            self.fill, ids = self.fill + take, ids[take:]
            if self.fill == len(self.buf):
                self.flush()

    def flush(self) -> None:
        name = f"{self.split}_{len(self.shards):06d}.bin"
        atomic_write_bytes(self.out / name, self.buf[:self.fill].tobytes())
        self.shards.append({"file": name, "tokens": self.fill})
        self.fill = 0

    def close(self) -> list[dict]:
        if self.fill:
            self.flush()
        return self.shards


class TokenDataset:
    """The shards of one split, memory-mapped, indexed as one stream: len(ds), ds[i:j] -> np.ndarray."""

    def __init__(self, path_or_dir: str | Path, split: str = "train"):
        root = Path(path_or_dir)
        meta_path = root if root.name == META else root / META
        if not meta_path.is_file():
            raise FileNotFoundError(f"no {META} in {meta_path.parent}: write the dataset with write_shards(...) "
                                    "(or it was interrupted before finishing)")
        meta = json.loads(meta_path.read_text())
        if meta.get("format") != FORMAT_NAME or meta.get("version") != FORMAT_VERSION:
            raise ValueError(f"{meta_path} is {meta.get('format')!r} v{meta.get('version')}, this code reads "
                             f"{FORMAT_NAME!r} v{FORMAT_VERSION}: re-run write_shards")
        if split not in meta["splits"]:
            raise ValueError(f"split {split!r} unknown; this dataset has {sorted(meta['splits'])}")
        self.meta, self.split, self.dtype = meta, split, np.dtype(meta["dtype"]).newbyteorder("<")
        self.vocab_size, self.bos_id = meta["vocab_size"], meta["bos_id"]
        self.shards = [self._open(meta_path.parent / s["file"], s["tokens"]) for s in meta["splits"][split]]
        if not self.shards:
            raise ValueError(f"split {split!r} of {meta_path.parent} is empty: use more documents or a larger "
                             "val_fraction in write_shards")
        self.starts = np.cumsum([0] + [len(s) for s in self.shards]).tolist()  # stream offset of each shard

    def _open(self, path: Path, tokens: int) -> np.memmap:
        size = path.stat().st_size if path.exists() else -1
        if size != tokens * self.dtype.itemsize:
            raise ValueError(f"shard {path} has {size} bytes, meta.json says {tokens} x {self.dtype.itemsize}: "
                             "it is missing or truncated; re-run write_shards")
        return np.memmap(path, dtype=self.dtype, mode="r", shape=(tokens,))

    def __len__(self) -> int:
        return self.starts[-1]

    def __getitem__(self, index: slice) -> np.ndarray:
        """Tokens [start, stop) of the stream, read across shard boundaries (step 1 slices only)."""
        start, stop, step = index.indices(len(self)) if isinstance(index, slice) else (None, None, None)
        if step != 1:
            raise TypeError("TokenDataset supports ds[start:stop] only; use ds.tokens for other indexing")
        parts, k = [], bisect_right(self.starts, start) - 1
        while start < stop:
            end = min(stop, self.starts[k + 1])
            parts.append(self.shards[k][start - self.starts[k]:end - self.starts[k]])
            start, k = end, k + 1
        return parts[0] if len(parts) == 1 else np.concatenate(parts) if parts else np.empty(0, self.dtype)

    @property
    def tokens(self) -> np.ndarray:
        """The whole split as one array: a memmap for one shard, an in-memory copy for several."""
        return self.shards[0] if len(self.shards) == 1 else np.concatenate(self.shards)


# ---- batches ------------------------------------------------------------------------------------
def check_device(device: str | torch.device) -> torch.device:
    """torch.device(device), or a ValueError that says what to use instead."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device={device!r} is not a torch device: use 'cpu', 'cuda', 'cuda:1' or 'mps'") from None
    if dev.type == "cuda" and (not torch.cuda.is_available() or (dev.index or 0) >= torch.cuda.device_count()):
        raise ValueError(f"device={device!r} but this machine has {torch.cuda.device_count()} CUDA GPU(s): "
                         "use device='cpu'")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device='mps' but MPS is not available here: use device='cpu'")
    return dev


def _check_window(data, batch_size: int, block_size: int, need: int) -> None:
    if batch_size < 1 or block_size < 1:
        raise ValueError(f"batch_size and block_size must be >= 1, got {batch_size}, {block_size}")
    if len(data) < need:
        raise ValueError(f"data has {len(data)} tokens but needs at least {need} (block_size={block_size} plus "
                         "one target token): lower block_size/batch_size or use more text")


def _rows(data, starts, length: int) -> torch.Tensor:
    """A (len(starts), length) int64 tensor of data[s : s+length] for each start."""
    return torch.stack([torch.from_numpy(np.asarray(data[s:s + length], dtype=np.int64)) for s in starts])


def _to(t: torch.Tensor, dev: torch.device) -> torch.Tensor:
    # pinned host memory lets the copy to the GPU overlap with compute (nanoGPT does the same)
    return t.pin_memory().to(dev, non_blocking=True) if dev.type == "cuda" else t.to(dev)


def get_batch(data, batch_size: int, block_size: int, device: str | torch.device = "cpu",
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """`batch_size` random windows of `data` (array, tensor or TokenDataset): x, y of shape (B, T), int64.

    y is x shifted left by one: y[b, t] is the token that follows x[b, t] in `data`.
    """
    dev = check_device(device)
    _check_window(data, batch_size, block_size, block_size + 1)
    # >>> exercise 0.4 get_batch: torch.randint starts i < len(data) - T; x = data[i:i+T], y = data[i+1:i+T+1]
    # TODO: torch.randint starts i < len(data) - T; x = data[i:i+T], y = data[i+1:i+T+1]
    raise NotImplementedError("exercise 0.4 get_batch")
    # <<< exercise 0.4 get_batch
    return _to(x.contiguous(), dev), _to(y.contiguous(), dev)


def rank_windows(step: int, batch_size: int, rank: int, world_size: int) -> range:
    """Positions (in this epoch's window order) that `rank` reads at `step`.

    Step k consumes the next batch_size * world_size windows; each rank takes its own contiguous
    batch_size of them, so ranks never see the same window and together see every one.
    """
    # >>> exercise 0.4 rank_windows: this rank's batch_size windows start at (step * world_size + rank) * batch_size
    # TODO: this rank's batch_size windows start at (step * world_size + rank) * batch_size
    raise NotImplementedError("exercise 0.4 rank_windows")
    # <<< exercise 0.4 rank_windows


class SequentialLoader:
    """Every non-overlapping window of `data` once per epoch, sharded by rank; an endless iterator of (x, y).

    Window w covers tokens [w*T, w*T + T + 1). With shuffle=True the window order of each epoch is a
    permutation seeded by (seed, epoch), identical on every rank, so the sharding still partitions it.
    Steps per epoch = windows // (batch_size * world_size): all ranks take the same number of steps.
    """

    def __init__(self, data, batch_size: int, block_size: int, rank: int = 0, world_size: int = 1,
                 device: str | torch.device = "cpu", shuffle: bool = False, seed: int = 0):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank={rank} must be in [0, world_size={world_size})")
        self.data, self.batch_size, self.block_size = data, batch_size, block_size
        self.rank, self.world_size, self.shuffle, self.seed = rank, world_size, shuffle, seed
        self.device = check_device(device)
        _check_window(data, batch_size, block_size, block_size * batch_size * world_size + 1)
        self.n_windows = (len(data) - 1) // block_size
        self.steps_per_epoch = self.n_windows // (batch_size * world_size)
        self.epoch, self.step = 0, 0
        self._order_epoch, self._order = None, None

    def order(self, epoch: int) -> np.ndarray:
        """The window order of `epoch` (cached): 0..n-1, or a seeded permutation of it."""
        if self._order_epoch != epoch:
            n = self.n_windows
            self._order = np.random.default_rng([self.seed, epoch]).permutation(n) if self.shuffle else np.arange(n)
            self._order_epoch = epoch
        return self._order

    def __iter__(self):
        return self

    def __next__(self) -> tuple[torch.Tensor, torch.Tensor]:
        windows = self.order(self.epoch)[rank_windows(self.step, self.batch_size, self.rank, self.world_size)]
        rows = _rows(self.data, (int(w) * self.block_size for w in windows), self.block_size + 1)
        self.step += 1
        if self.step == self.steps_per_epoch:
            self.epoch, self.step = self.epoch + 1, 0
        return _to(rows[:, :-1].contiguous(), self.device), _to(rows[:, 1:].contiguous(), self.device)

    def state_dict(self) -> dict:
        """Where the *next* batch comes from, in global windows, so a resume may change world_size."""
        return {"epoch": self.epoch, "windows_done": self.step * self.batch_size * self.world_size,
                "n_windows": self.n_windows, "block_size": self.block_size, "shuffle": self.shuffle,
                "seed": self.seed}

    def load_state_dict(self, state: dict) -> None:
        for key in ("block_size", "n_windows", "shuffle", "seed"):
            if state[key] != getattr(self, key):
                raise ValueError(f"cannot resume: saved {key}={state[key]!r} but this loader has "
                                 f"{getattr(self, key)!r}; build the loader on the same data and settings")
        per_step = self.batch_size * self.world_size
        if state["windows_done"] % per_step:
            raise ValueError(f"cannot resume at window {state['windows_done']}: not a multiple of "
                             f"batch_size x world_size = {per_step}")
        self.epoch, self.step = state["epoch"], state["windows_done"] // per_step
        if self.step >= self.steps_per_epoch:  # fewer, larger steps now: that epoch is over
            self.epoch, self.step = self.epoch + 1, 0


def token_bytes(tokenizer) -> torch.Tensor:
    """int64 tensor (vocab_size,): UTF-8 byte length of each token; 0 for special tokens.

    bits per byte = sum of losses (nats) / (ln 2 * sum of token_bytes of the targets).
    """
    # >>> exercise 0.4 token_bytes: zeros(vocab_size, int64); out[i] = len(tokenizer.vocab[i]); specials stay 0
    # TODO: zeros(vocab_size, int64); out[i] = len(tokenizer.vocab[i]); specials stay 0
    raise NotImplementedError("exercise 0.4 token_bytes")
    # <<< exercise 0.4 token_bytes
