"""Fast BPE training: the same merges as phase0_tokenizer.bpe.train_bpe, minutes become seconds.

The naive trainer recounts every pair of the whole text after every merge. Three
observations remove almost all of that work (HF `tokenizers` uses all three;
Sennrich's subword-nmt the first two):

1. Chunks repeat. " the" occurs tens of thousands of times but BPE treats every
   copy the same way, so keep each *unique* chunk once with its frequency and
   weight its pair counts by it                          -> count_chunks, pair_stats
2. A merge of (a, b) only changes the chunks that contain (a, b). Keep an index
   pair -> ids of the chunks holding it, and after a merge fix the counts of
   those chunks only                                     -> update_chunk
3. The best pair is the maximum of a dict that changes a little each round:
   keep it in a heap. Counts only ever go *down*, except for pairs with the new
   token, which are new. So a heap entry is never too low, only stale-high: pop,
   and if the entry disagrees with the live count push it back with the live
   count ("lazy deletion"); an entry that agrees is the true maximum -> best_pair

Ties are broken exactly as in train_bpe: greatest (count, bytes of a, bytes of b,
a, b). heapq pops the *smallest* entry, so each entry stores -count and the token
bytes in an order-reversing form (see `heap_key`).

On large text, most of the time goes to step 1, running the split regex over every
character. Counting is a sum, so it parallelises: cut the text into one slice per
core at places where a chunk always starts, count each slice in its own process
(this one included), add the counters (count_chunks with workers > 1). The merge
loop stays serial; it runs with Python's cycle collector paused (cyclic_gc_paused),
which otherwise spends a quarter of it re-walking the trainer's millions of tuples.
"""

from __future__ import annotations

import gc
import heapq
import multiprocessing
import os
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager

import regex
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from phase0_tokenizer.bpe import check_vocab_size
from phase0_tokenizer.pretokenize import GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN, pretokenize, split_on_special

# Byte i -> character 255 - i, so that comparing the strings reverses the byte order.
_REVERSE_BYTES = {i: 255 - i for i in range(256)}


def heap_key(token: bytes) -> str:
    """A string whose order is the reverse of the order of `token` among all byte strings.

    Each byte b becomes chr(255 - b) and a final chr(256) makes a prefix sort *after* its extensions
    (b"ab" < b"abc", so heap_key(b"ab") > heap_key(b"abc")). A min-heap of heap keys pops the greatest bytes.
    """
    return token.decode("latin-1").translate(_REVERSE_BYTES) + "\u0100"


# Below this, a second process costs more than it saves. Counting costs ~0.09 CPU s per million
# characters; starting a forked worker and merging its counter back costs ~0.02 s (measured, 2 cores).
PARALLEL_MIN_CHARS = 500_000
# Where there is no fork (Windows, macOS) a worker is spawned: a fresh interpreter that imports the
# modules again, ~0.5 s before it counts anything, so it only pays on much larger text.
SPAWN_MIN_CHARS = 16_000_000
# Both split patterns always start a chunk at a non-space that follows "\n" after a non-space:
# no chunk runs across such a newline, and no rule looks behind. So counting the two sides of
# such a cut separately gives exactly the counts of the whole (tested with 2 workers).
_SLICE_CUT = regex.compile(r"(?<=\S\n)(?=\S)")
_SLICEABLE = (GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN)


BATCH_CHARS = 1 << 20  # regex-split this much at a time: the list of chunk strings stays small


def _count_strings(text: str, pattern: str, special_tokens) -> Counter:
    """Chunk string -> count, over `text` split at specials; long pieces are split (and their chunk
    lists built) a batch at a time, where the pattern allows it, so memory does not grow with the text."""
    strings = Counter()
    for piece in split_on_special(text, special_tokens):
        start = 0
        while start < len(piece):
            m = _SLICE_CUT.search(piece, start + BATCH_CHARS) if pattern in _SLICEABLE else None
            end = m.start() if m else len(piece)
            strings.update(pretokenize(piece[start:end], pattern))
            start = end
    return strings


def default_workers(n_chars: int) -> int:
    """One process per available core for large text, else 1 (see PARALLEL_MIN_CHARS, SPAWN_MIN_CHARS)."""
    least = PARALLEL_MIN_CHARS if "fork" in multiprocessing.get_all_start_methods() else SPAWN_MIN_CHARS
    if n_chars < least:
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, n_chars // (least // 2)))


def slice_bounds(text: str, n: int, special_tokens=()) -> list[tuple[int, int]]:
    """(start, end) of at most n slices of `text` of about equal length, cut only where a chunk starts
    (see _SLICE_CUT) and never inside a special token. Fewer slices if there are no such places."""
    cuts, target = [0], len(text) // n
    for k in range(1, n):
        m = _SLICE_CUT.search(text, max(k * target, cuts[-1] + 1))
        while m and any(s in text[max(0, m.start() - len(s) + 1):m.start() + len(s) - 1] for s in special_tokens):
            m = _SLICE_CUT.search(text, m.start() + 1)
        if m is None:
            break
        cuts.append(m.start())
    cuts.append(len(text))
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def slice_text(text: str, n: int, special_tokens=()) -> list[str]:
    """The slices of slice_bounds as strings."""
    return [text[a:b] for a, b in slice_bounds(text, n, special_tokens)]


_SHARED_TEXT = ""  # the text a forked counting worker reads its slice from (inherited, never pickled)


def _count_shared(start: int, end: int, pattern: str, special_tokens) -> Counter:
    return _count_strings(_SHARED_TEXT[start:end], pattern, special_tokens)


def _count_in_parallel(text: str, bounds: list[tuple[int, int]], pattern: str, specials: tuple) -> Counter:
    """Chunk string -> count over `text`, one slice (start, end) of `bounds` per process.

    Worker processes count every slice but the first; this process counts the first meanwhile
    instead of waiting (one process fewer to start, one counter fewer to send back).
    """
    global _SHARED_TEXT
    fork = "fork" in multiprocessing.get_all_start_methods()
    _SHARED_TEXT = text if fork else ""
    try:
        with ProcessPoolExecutor(len(bounds) - 1,
                                 mp_context=multiprocessing.get_context("fork" if fork else "spawn")) as pool:
            if fork:  # the workers inherit the loaded modules and the text itself; only offsets travel
                parts = [pool.submit(_count_shared, a, b, pattern, specials) for a, b in bounds[1:]]
            else:  # spawn (Windows, macOS): each worker gets its slice as a string
                parts = [pool.submit(_count_strings, text[a:b], pattern, specials) for a, b in bounds[1:]]
            a, b = bounds[0]
            strings = _count_strings(text[a:b], pattern, specials)
            for part in parts:
                strings.update(part.result())
    finally:
        _SHARED_TEXT = ""
    return strings


def count_chunks(text: str, pattern: str = GPT4_SPLIT_PATTERN, special_tokens=(),
                 workers: int | None = None) -> Counter:
    """Each distinct chunk (as a tuple of byte ids) -> how many times it occurs in `text`.

    workers: processes that count slices of the text in parallel, this one included (None: one per
    core when the text has at least PARALLEL_MIN_CHARS characters, else 1). Only the GPT-2 and GPT-4
    split patterns can be sliced safely; any other pattern is counted in one process. The counts never
    depend on it.
    """
    workers = default_workers(len(text)) if workers is None else workers
    bounds = slice_bounds(text, workers, special_tokens) if workers > 1 and pattern in _SLICEABLE else []
    specials = tuple(special_tokens)
    if len(bounds) < 2:
        strings = _count_strings(text, pattern, specials)
    else:
        strings = _count_in_parallel(text, bounds, pattern, specials)
    return Counter({tuple(s.encode("utf-8")): n for s, n in strings.items()})


def pair_stats(words: list[list[int]], freqs: list[int]) -> tuple[dict, dict]:
    """Pair counts over all chunks, each chunk weighted by its frequency, and the index pair -> chunk ids."""
    occurrences = defaultdict(list)  # pair -> the id of the chunk holding it, once per occurrence
    for wid, word in enumerate(words):
        for pair in zip(word, word[1:]):
            occurrences[pair].append(wid)
    # A pair's count is the sum of the frequencies of the chunks in its list (a chunk holding it twice
    # is there twice). Summing the lists in C makes this twice as fast as `counts[pair] += freq` above.
    counts = defaultdict(int, {pair: sum(map(freqs.__getitem__, wids)) for pair, wids in occurrences.items()})
    where = {pair: set(wids) for pair, wids in occurrences.items()}
    return counts, where


def update_chunk(word: list[int], pair: tuple[int, int], new_id: int, freq: int, counts: dict) -> list[int]:
    """Merge `pair` inside one chunk, in one left-to-right pass, fixing `counts` as it goes; return the new chunk.

    Each merge turns (x, a, b, y) into (x, new, y): the pairs (x, a), (a, b), (b, y) lose `freq`
    occurrences and (x, new), (new, y) gain `freq`. All other pairs of the chunk are untouched.
    Take x from the chunk being built: after "abab" -> (new, a, b) the next x is `new` itself.
    Returns `word` itself when the chunk no longer holds `pair` (the pair -> chunks index is never
    cleaned, so it may name chunks that lost the pair to an earlier merge), else a new list equal to
    merge(word, pair, new_id). `counts` is a defaultdict(int) (a missing pair counts 0): change it with
    += and -= only, leaving keys in place even at 0 (the trainer deletes the merged pair itself).
    """
    # >>> exercise 0.2 update_chunk
    a, b = pair
    out = []
    i, n = 0, len(word)
    while i < n:
        if word[i] == a and i + 1 < n and word[i + 1] == b:
            counts[pair] -= freq
            if out:  # x is what we emitted last: it may be `new_id` itself ("abab" -> (new, new))
                x = out[-1]
                counts[(x, a)] -= freq
                counts[(x, new_id)] += freq
            if i + 2 < n:
                y = word[i + 2]
                counts[(b, y)] -= freq
                counts[(new_id, y)] += freq
            out.append(new_id)
            i += 2
        else:
            out.append(word[i])
            i += 1
    return word if len(out) == n else out
    # <<< exercise 0.2 update_chunk


def best_pair(heap: list, counts: dict) -> tuple[int, int] | None:
    """Pop the pair with the greatest (count, bytes) whose heap entry is current; None when none is left."""
    while heap:
        neg_count, key_a, key_b, neg_a, neg_b = entry = heapq.heappop(heap)
        pair = (-neg_a, -neg_b)
        count = counts.get(pair, 0)
        if count == -neg_count:
            return pair
        if count > 0:  # stale: the pair lost some occurrences since it was pushed; requeue it
            heapq.heappush(heap, (-count, *entry[1:]))
    return None


@contextmanager
def cyclic_gc_paused():
    """Switch Python's cycle collector off for a while (the reference counts still free everything).

    The trainer allocates millions of small tuples (pairs, heap entries) that never form cycles. Each
    allocation burst makes the collector walk every live container again, which costs about a quarter
    of the merge loop on 20 MB of text, for no garbage found.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@cyclic_gc_paused()
def train_bpe_fast(text: str, vocab_size: int, pattern: str = GPT4_SPLIT_PATTERN, special_tokens=(),
                   verbose: bool = False, workers: int | None = None) -> dict[tuple[int, int], int]:
    """Same contract and same merges as phase0_tokenizer.bpe.train_bpe, in roughly O(text + merges x touched).

    `workers` processes count the chunks (see count_chunks; None = one per core on large text).
    """
    num_merges = check_vocab_size(vocab_size)
    chunk_counts = count_chunks(text, pattern, special_tokens, workers)
    words = [list(w) for w in chunk_counts]
    freqs = list(chunk_counts.values())
    counts, where = pair_stats(words, freqs)
    vocab = [bytes([i]) for i in range(256)]  # token id -> its bytes
    keys = [heap_key(t) for t in vocab]  # token id -> its heap key
    heap = [(-c, keys[a], keys[b], -a, -b) for (a, b), c in counts.items()]
    heapq.heapify(heap)

    merges = {}
    push, update = heapq.heappush, update_chunk  # local names: this loop runs millions of times
    with Progress(TextColumn("BPE merges"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  disable=not verbose) as progress:
        task = progress.add_task("merges", total=num_merges)
        for new_id in range(256, 256 + num_merges):
            pair = best_pair(heap, counts)
            if pair is None:
                break  # every chunk is a single token
            merges[pair] = new_id
            vocab.append(vocab[pair[0]] + vocab[pair[1]])
            keys.append(heap_key(vocab[new_id]))
            new_pairs = defaultdict(set)  # pairs with new_id -> the chunks holding them
            a, b = pair
            for wid in where.pop(pair):
                word = words[wid]
                if a not in word or b not in word:  # a stale index entry (C-speed tests): the pair is gone
                    continue
                new = update(word, pair, new_id, freqs[wid], counts)
                if new is not word:
                    words[wid] = new
                    # only pairs with the new token are new: index and queue them. Find each
                    # occurrence of new_id with list.index (C speed) rather than walking every pair
                    i, last = -1, len(new) - 1
                    for _ in range(new.count(new_id)):
                        i = new.index(new_id, i + 1)
                        if i > 0:
                            new_pairs[new[i - 1], new_id].add(wid)
                        if i < last:
                            new_pairs[new_id, new[i + 1]].add(wid)
            del counts[pair]
            for p, wids in new_pairs.items():
                where[p] = wids
                push(heap, (-counts[p], keys[p[0]], keys[p[1]], -p[0], -p[1]))
            if verbose and new_id % 32 == 0:  # a redraw costs more than a merge: update now and then
                progress.update(task, completed=len(merges))
        progress.update(task, completed=len(merges))
    return merges
