"""Byte Pair Encoding training, the readable way (Gage 1994; Sennrich et al. 2016).

Start from bytes: every text is a list of ids 0..255. Then repeat:

    1. count every adjacent pair of ids                  -> get_pair_counts
    2. take the most frequent pair (a, b)
    3. give it a new id and replace every (a, b) by it   -> merge

Each round adds one token to the vocabulary; after `vocab_size - 256` rounds
the list of merges *is* the tokenizer. This is Gage's compression algorithm
(docs/papers/bpe-1994.md) used as Sennrich et al. proposed, to build a
subword vocabulary (docs/papers/subword-nmt-2016.md).

Two choices make the result well defined:

- Chunks. The text is first split on special tokens, then cut into chunks by a
  regex (phase0_tokenizer.pretokenize); pairs are counted and merged *inside*
  chunks only, so no token spans two words and no special token is ever merged.
- Ties. When two pairs have the same count we take the greatest
  (count, bytes of a, bytes of b): the choice depends only on the text, never
  on dict order or id numbering, so any correct trainer finds the same merges.

`train_bpe` recounts everything after every merge: O(merges x text) and slow
on megabytes, but it is the specification. phase0_tokenizer.bpe_fast gives the
same merges in a fraction of the time.
"""

from __future__ import annotations

from phase0_tokenizer.pretokenize import GPT4_SPLIT_PATTERN, pretokenize, split_on_special


def get_pair_counts(ids: list[int], counts: dict[tuple[int, int], int] | None = None) -> dict[tuple[int, int], int]:
    """Count each adjacent pair in `ids`: [1, 2, 3, 1, 2] -> {(1, 2): 2, (2, 3): 1, (3, 1): 1}.

    Returns a dict {pair: count}. If `counts` is given (even an empty dict) that very dict is updated
    in place and returned, so one dict can sum over many chunks.
    """
    # >>> exercise 0.2 get_pair_counts
    counts = {} if counts is None else counts
    for pair in zip(ids, ids[1:]):
        counts[pair] = counts.get(pair, 0) + 1
    return counts
    # <<< exercise 0.2 get_pair_counts


def merge(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of `pair` in `ids` by `new_id`, scanning left to right.

    merge([1, 2, 3, 1, 2], (1, 2), 256) -> [256, 3, 256]. Occurrences that overlap are taken
    greedily from the left: merge([7, 7, 7], (7, 7), 256) -> [256, 7].
    """
    # >>> exercise 0.2 merge
    out = []
    i = 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out
    # <<< exercise 0.2 merge


def text_to_chunks(text: str, pattern: str = GPT4_SPLIT_PATTERN, special_tokens=()) -> list[list[int]]:
    """The UTF-8 byte ids of each chunk BPE works on: special tokens cut out, then the regex split."""
    return [list(chunk.encode("utf-8")) for piece in split_on_special(text, special_tokens)
            for chunk in pretokenize(piece, pattern)]


def check_vocab_size(vocab_size: int) -> int:
    if not isinstance(vocab_size, int) or vocab_size < 256:
        raise ValueError(f"vocab_size={vocab_size!r}: it must be an int >= 256 (the 256 byte tokens come first; "
                         "each merge adds one more, e.g. vocab_size=512 learns 256 merges)")
    return vocab_size - 256


def train_bpe(text: str, vocab_size: int, pattern: str = GPT4_SPLIT_PATTERN, special_tokens=(),
              verbose: bool = False) -> dict[tuple[int, int], int]:
    """Learn `vocab_size - 256` merges from `text`: {(a, b): new_id}, in merge order, new ids 256, 257, ...

    The text is first cut into chunks by text_to_chunks (split at `special_tokens`, which are dropped,
    then by the regex `pattern`); pairs are counted and merged inside chunks only. The most frequent
    pair wins; ties go to the greatest (vocab[a], vocab[b]) compared as bytes (then the greatest ids,
    which only matters if two tokens spell the same bytes). Stops early if no pair is left.
    """
    # >>> exercise 0.2 train_bpe
    num_merges = check_vocab_size(vocab_size)
    chunks = text_to_chunks(text, pattern, special_tokens)
    vocab = {i: bytes([i]) for i in range(256)}  # id -> the bytes it stands for
    merges = {}
    for new_id in range(256, 256 + num_merges):
        counts = {}
        for ids in chunks:
            get_pair_counts(ids, counts)
        if not counts:
            break  # every chunk is a single token: nothing left to merge
        pair = max(counts, key=lambda p: (counts[p], vocab[p[0]], vocab[p[1]], p))
        chunks = [merge(ids, pair, new_id) for ids in chunks]
        merges[pair] = new_id
        vocab[new_id] = vocab[pair[0]] + vocab[pair[1]]
        if verbose:
            print(f"merge {new_id - 255}/{num_merges}: {pair} -> {new_id} {vocab[new_id]!r} ({counts[pair]} times)")
    return merges
    # <<< exercise 0.2 train_bpe


def build_vocab(merges: dict[tuple[int, int], int]) -> dict[int, bytes]:
    """id -> bytes for the 256 byte tokens and every merge (merges must be in the order they were learned)."""
    vocab = {i: bytes([i]) for i in range(256)}
    for (a, b), new_id in merges.items():
        vocab[new_id] = vocab[a] + vocab[b]
    return vocab
