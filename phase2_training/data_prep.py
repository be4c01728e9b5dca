"""Tokenizer and shards for a run, built once and reused: corpus -> BPE tokenizer -> train/val shards.

    prepare_data(cfg) -> PreparedData(tokenizer, tokenizer_path, data_dir, meta)
    python -m phase2_training.data_prep --config examples/gpt_500m.py    # prepare once, before torchrun

Everything lands in `<data_root>/<corpus>-v<vocab>-...` (under runs/, which git
ignores); a second run with the same settings finds meta.json (written last by
phase0_tokenizer.data.write_shards, so it marks a complete dataset) and skips
the work. Phase 0 does all the real work; this module only names and caches it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from phase0_tokenizer.corpus import CorpusError, load_documents, truncate_utf8
from phase0_tokenizer.data import META, write_shards
from phase0_tokenizer.tokenizer import Tokenizer
from phase1_model.config import ConfigError
from phase2_training.out_dir import check_writable

TOKENIZER_FILE = "tokenizer.txt"


@dataclass
class PreparedData:
    tokenizer: Tokenizer
    tokenizer_path: Path
    data_dir: Path
    meta: dict
    timings: dict = field(default_factory=dict)   # seconds for tokenizer training and sharding (0 if cached)

    def reference(self) -> dict:
        """What a checkpoint records about the tokenizer: where it is and its exact bytes' hash."""
        return {"path": str(self.tokenizer_path), "sha256": file_sha256(self.tokenizer_path),
                "vocab_size": self.tokenizer.vocab_size}


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def data_dir_for(cfg) -> Path:
    """The cache folder name spells out every setting that changes the tokens."""
    mb = "all" if cfg.max_bytes is None else str(cfg.max_bytes)
    tb = "all" if cfg.tokenizer_bytes is None else str(cfg.tokenizer_bytes)
    return Path(cfg.data_root) / f"{cfg.corpus}-v{cfg.vocab_size}-bytes{mb}-tok{tb}-val{cfg.val_fraction:g}"


def prepare_data(cfg, log=print) -> PreparedData:
    """Train the tokenizer and write the shards for cfg (corpus, max_bytes, vocab_size, ...), or reuse them."""
    out = data_dir_for(cfg)
    tok_path = out / TOKENIZER_FILE
    if (out / META).is_file() and tok_path.is_file():
        try:
            meta = json.loads((out / META).read_text())
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{out / META} is not valid JSON ({e}): the prepared data is damaged; delete {out} "
                             "and run again to rebuild it") from None
        return PreparedData(Tokenizer.load(tok_path), tok_path, out, meta, {"tokenizer_s": 0.0, "shards_s": 0.0})
    try:  # before any folder exists: a bad corpus name leaves nothing behind
        docs = load_documents(cfg.corpus, max_bytes=cfg.max_bytes)
    except CorpusError as e:
        raise ConfigError(f"--corpus={cfg.corpus}: {e}") from None
    check_writable(cfg.data_root, "data_root")
    created = not out.exists()
    out.mkdir(exist_ok=True)
    try:
        return _build(cfg, out, tok_path, docs, log)
    except BaseException:  # an error, a full disk, Ctrl-C: no half-built data folder and no temp files
        if created:
            shutil.rmtree(out, ignore_errors=True)  # only a folder this call made: nothing else lives there
        else:
            for tmp in out.glob(".*.tmp-*"):
                tmp.unlink(missing_ok=True)
        raise


def _build(cfg, out: Path, tok_path: Path, docs: list[str], log) -> PreparedData:
    text = "\n\n".join(docs)
    if cfg.tokenizer_bytes is not None:
        text = truncate_utf8(text, cfg.tokenizer_bytes)
    log(f"training a {cfg.vocab_size}-token BPE tokenizer on {len(text.encode()):,} bytes of {cfg.corpus!r}...")
    t0 = time.perf_counter()
    tokenizer = Tokenizer.train(text, cfg.vocab_size)
    tokenizer.save(tok_path)
    t1 = time.perf_counter()
    log(f"  done in {t1 - t0:.1f} s; writing train/val shards of {len(docs)} documents to {out}...")
    meta = write_shards(tokenizer, docs, out, val_fraction=cfg.val_fraction)
    t2 = time.perf_counter()
    n = {split: sum(s["tokens"] for s in shards) for split, shards in meta["splits"].items()}
    log(f"  {n['train']:,} train + {n['val']:,} val tokens in {t2 - t1:.1f} s")
    return PreparedData(tokenizer, tok_path, out, meta, {"tokenizer_s": t1 - t0, "shards_s": t2 - t1})


def main(argv: list[str] | None = None) -> int:
    """Prepare a config's data in one process (multi-GPU runs: do this before torchrun)."""
    import errno
    import sys

    from phase2_training.config import load_config
    from phase2_training.train import split_args
    argv = sys.argv[1:] if argv is None else argv
    if "-h" in argv or "--help" in argv:
        print("usage: python -m phase2_training.data_prep --config PATH [--key=value ...]\n"
              "  --config PATH   a config file (examples/*.py); the data keys (corpus, vocab_size, data_root, ...)\n"
              "                  take the same --key=value overrides as the trainer")
        return 0
    try:
        path, overrides = split_args(argv)
        cfg = load_config(path, overrides)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    try:
        data = prepare_data(cfg)
    except ValueError as e:  # ConfigError: corpus, data_root
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        full = " (disk full: free some space and run again)" if e.errno == errno.ENOSPC else ""
        print(f"error: {e}{full}; no partial data was left behind", file=sys.stderr)
        return 1
    print(f"data ready: {data.data_dir} (tokenizer {data.tokenizer_path})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
