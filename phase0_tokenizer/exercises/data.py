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
    created = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    (out / META).unlink(missing_ok=True)  # the dataset is invalid until the new meta.json lands
    dtype = shard_dtype(tokenizer.vocab_size)
    writers = {split: _ShardWriter(out, split, dtype, shard_tokens) for split in ("train", "val")}
    n_docs = {"train": 0, "val": 0}
    try:
        for i, doc in enumerate(docs):
            split = "val" if is_val_document(i, val_fraction) else "train"
            writers[split].add([tokenizer.bos_id, *tokenizer.encode_ordinary(doc)])
            n_docs[split] += 1
        meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "dtype": dtype.name,
                "vocab_size": tokenizer.vocab_size, "bos_id": tokenizer.bos_id, "documents": n_docs,
                "val_fraction": val_fraction, "splits": {split: w.close() for split, w in writers.items()}}
        atomic_write_bytes(out / META, json.dumps(meta, indent=1).encode())
    except BaseException:  # an error, a full disk, Ctrl-C: leave no half dataset and no temp files behind
        for w in writers.values():
            w.discard()
        if created and not any(out.iterdir()):
            out.rmdir()  # we made it and nothing of value is in it
        raise
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

    def discard(self) -> None:
        """Remove every shard this writer wrote (and its temp file, if a write was cut short)."""
        names = [s["file"] for s in self.shards] + [f"{self.split}_{len(self.shards):06d}.bin"]
        for name in names:
            for path in (self.out / name, self.out / (name + ".tmp")):
                path.unlink(missing_ok=True)


def _read_meta(meta_path: Path) -> dict:
    """meta.json, checked: it parses, is our format and version, and names a dtype and vocab that fit."""
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"{meta_path} is not valid JSON ({e}): the dataset is damaged; re-run write_shards "
                         "(or delete the folder so it is prepared again)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME or meta.get("version") != FORMAT_VERSION:
        found = (meta.get("format"), meta.get("version")) if isinstance(meta, dict) else (type(meta).__name__, None)
        raise ValueError(f"{meta_path} is {found[0]!r} v{found[1]}, this code reads {FORMAT_NAME!r} "
                         f"v{FORMAT_VERSION}: re-run write_shards")
    dtype, vocab = meta.get("dtype"), meta.get("vocab_size")
    if dtype not in SHARD_DTYPES:
        raise ValueError(f"{meta_path} says dtype={dtype!r}; shards are one of {SHARD_DTYPES}: the file is damaged "
                         "or hand-edited; re-run write_shards")
    if not isinstance(vocab, int) or not 0 < vocab <= np.iinfo(dtype).max + 1:
        raise ValueError(f"{meta_path} says vocab_size={vocab!r}, which {dtype} shards cannot hold: "
                         "re-run write_shards")
    bos, splits = meta.get("bos_id"), meta.get("splits")
    if not isinstance(bos, int) or not 0 <= bos < vocab or not isinstance(splits, dict):
        raise ValueError(f"{meta_path} has bos_id={bos!r} and splits of type {type(splits).__name__}: it is "
                         "damaged; re-run write_shards")
    return meta


def _empty_split_message(meta: dict, split: str, root: Path) -> str:
    docs = meta.get("documents", {})
    total, frac = sum(docs.values()), meta.get("val_fraction")
    if split == "val" and frac:
        need = int(np.ceil(1 / frac))
        fix = (f"or a val_fraction of at least {1 / total:g}" if total >= 2 else
               "one document cannot be split into train and val")
        return (f"the validation split of {root} is empty: it takes every {need}th document "
                f"(val_fraction={frac:g}) and the corpus has {total} document(s). Use more text (more documents), "
                f"{fix}")
    return (f"the {SPLIT_NAMES.get(split, split)} split of {root} is empty ({total} document(s) in all): "
            "use more text (more documents), or a smaller val_fraction if everything went to validation")


SHARD_DTYPES = ("uint16", "uint32")  # what shard_dtype writes; anything else in meta.json is not our file
SPLIT_NAMES = {"train": "training", "val": "validation"}


class TokenDataset:
    """The shards of one split, memory-mapped, indexed as one stream: len(ds), ds[i:j] -> np.ndarray.

    Opening checks the files once: meta.json parses and names a known dtype, every shard has the size
    meta.json says, and every id is < vocab_size (one vectorised max per shard). Pass `vocab_size`
    (the model's or tokenizer's) to also refuse shards written by a tokenizer of another size.
    """

    def __init__(self, path_or_dir: str | Path, split: str = "train", vocab_size: int | None = None):
        root = Path(path_or_dir)
        meta_path = root if root.name == META else root / META
        if not meta_path.is_file():
            raise FileNotFoundError(f"no {META} in {meta_path.parent}: write the dataset with write_shards(...) "
                                    "(or it was interrupted before finishing)")
        meta = _read_meta(meta_path)
        if split not in meta["splits"]:
            raise ValueError(f"split {split!r} unknown; this dataset has {sorted(meta['splits'])}")
        if vocab_size is not None and meta["vocab_size"] != vocab_size:
            raise ValueError(f"{meta_path} says vocab_size={meta['vocab_size']} but the tokenizer/model has "
                             f"{vocab_size}: these shards were written with another tokenizer; re-run write_shards "
                             "with this one (or delete the folder so it is prepared again)")
        self.meta, self.split, self.dtype = meta, split, np.dtype(meta["dtype"]).newbyteorder("<")
        self.root = meta_path.parent
        self.vocab_size, self.bos_id = meta["vocab_size"], meta["bos_id"]
        self.shards = [self._open(self.root / s["file"], s["tokens"]) for s in meta["splits"][split]]
        if not self.shards:
            raise ValueError(_empty_split_message(meta, split, self.root))
        self.starts = np.cumsum([0] + [len(s) for s in self.shards]).tolist()  # stream offset of each shard

    @property
    def name(self) -> str:
        """'the validation split of data/asv-...': how messages name this data."""
        return f"the {SPLIT_NAMES.get(self.split, repr(self.split))} split of {self.root}"

    def _open(self, path: Path, tokens: int) -> np.memmap:
        size = path.stat().st_size if path.exists() else -1
        if size != tokens * self.dtype.itemsize:
            raise ValueError(f"shard {path} has {size} bytes, meta.json says {tokens} x {self.dtype.itemsize}: "
                             "it is missing or truncated; re-run write_shards")
        shard = np.memmap(path, dtype=self.dtype, mode="r", shape=(tokens,))
        top = int(shard.max()) if tokens else -1  # one pass at C speed; the page cache keeps it for training
        if top >= self.vocab_size:
            raise ValueError(f"shard {path} holds token id {top} but meta.json says vocab_size={self.vocab_size}: "
                             "the shard is corrupt or from another tokenizer; re-run write_shards")
        return shard

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
        what = getattr(data, "name", "data")  # a TokenDataset says which split it is
        more = ("or give validation more text (more text, or a larger val_fraction)"
                if getattr(data, "split", None) == "val" else "or use more text")
        raise ValueError(f"{what} has {len(data)} tokens but needs at least {need} (batch_size={batch_size}, "
                         f"block_size={block_size}, plus one target token): lower block_size or "
                         f"batch_size, {more}")


def _rows(data, starts, length: int) -> torch.Tensor:
    """A (len(starts), length) int64 tensor of data[s : s+length] for each start."""
    return torch.stack([torch.from_numpy(np.asarray(data[s:s + length], dtype=np.int64)) for s in starts])


def _to(t: torch.Tensor, dev: torch.device) -> torch.Tensor:
    # pinned host memory lets the copy to the GPU overlap with compute (nanoGPT does the same)
    return t.pin_memory().to(dev, non_blocking=True) if dev.type == "cuda" else t.to(dev)


def get_batch(data, batch_size: int, block_size: int, device: str | torch.device = "cpu",
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """`batch_size` random windows of `data` (array, tensor or TokenDataset): x, y of shape (B, T), int64.

    y is x shifted left by one: y[b, t] is the token that follows x[b, t] in `data`. Each window's
    start is drawn uniformly from every valid start 0 .. len(data) - T - 1 (so the last window's
    target is the last token), and all randomness comes from `generator` (torch's global RNG when it
    is None): the same seeded generator gives the same batch, whatever the global seed.
    """
    dev = check_device(device)
    _check_window(data, batch_size, block_size, block_size + 1)
    # >>> exercise 0.4 get_batch
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=0.4:get_batch
    raise NotImplementedError("exercise 0.4 get_batch")
    # <<< exercise 0.4 get_batch
    return _to(x.contiguous(), dev), _to(y.contiguous(), dev)


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
        """This rank's next batch: x, y int64 tensors of shape (batch_size, block_size) on self.device.

        With B = batch_size, T = block_size, W = world_size:
        - which windows: step k of an epoch consumes positions k*B*W .. (k+1)*B*W - 1 of that epoch's
          window order, self.order(self.epoch); rank r takes its own contiguous B of them, rank 0
          first: positions (k*W + r)*B .. (k*W + r)*B + B - 1. So ranks never share a window at a
          step, and over an epoch the ranks together read every position < steps_per_epoch*B*W once.
        - which tokens: window w is tokens [w*T, w*T + T + 1) of self.data (`_rows` reads them);
          row b of x is the first T of them, row b of y the last T (y is x shifted left by one).
        - then advance: self.step += 1; when it reaches self.steps_per_epoch, the next epoch begins
          (self.epoch += 1, self.step = 0), so state_dict() always says where the NEXT batch comes from.
        The tensors go to the device through `_to` (contiguous).
        """
        # >>> exercise 0.4 next_batch
        # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=0.4:next_batch
        raise NotImplementedError("exercise 0.4 next_batch")
        # <<< exercise 0.4 next_batch

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
    # >>> exercise 0.4 token_bytes
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=0.4:token_bytes
    raise NotImplementedError("exercise 0.4 token_bytes")
    # <<< exercise 0.4 token_bytes
