"""Pre-tokenization: cut text into chunks before BPE ever sees it.

BPE on raw bytes happily merges across word boundaries ("dog." , "dog!" and
"dog?" become three unrelated tokens, and " the" glues onto the next word).
GPT-2 (Radford et al. 2019, "Language Models are Unsupervised Multitask
Learners", section 2.2) fixed this by first splitting text with a regex into
chunks -- letters, numbers, punctuation, whitespace -- and running BPE *inside*
each chunk only: a merge never crosses a chunk boundary.

This module holds the two split patterns everyone uses (copied verbatim from
tiktoken: GPT-2's r50k_base and GPT-4's cl100k_base), and the two steps every
trainer and encoder starts with:

    split_on_special(text, specials)  -> ordinary pieces, special tokens removed
    pretokenize(piece, pattern)       -> the chunks BPE works inside

Special tokens such as "<|bos|>" are cut out *first*, so their characters can
never take part in a merge (a trained vocabulary must not learn "<|b" from a
document separator).
"""

from __future__ import annotations

from collections.abc import Iterable

import regex  # the `regex` package: `re` lacks \p{L} classes and possessive quantifiers

# GPT-2 (tiktoken r50k_base). Contractions, optional space + letters, optional space + digits,
# optional space + other symbols, then whitespace (keeping a final space for the next word).
GPT2_SPLIT_PATTERN = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""

# GPT-4 (tiktoken cl100k_base). Changes over GPT-2: case-insensitive contractions, a letter run may
# start with one non-letter ("(the", "_name"), numbers are cut in groups of at most 3 digits, and
# newlines are kept apart from other whitespace.
GPT4_SPLIT_PATTERN = r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""  # noqa: E501


def special_pattern(special_tokens: Iterable[str]) -> regex.Pattern | None:
    """A regex matching any of `special_tokens`, longest first (so "<|a|>x" beats "<|a|>"), or None."""
    specials = sorted(set(special_tokens), key=len, reverse=True)
    if any(not s for s in specials):
        raise ValueError("special tokens must be non-empty strings, e.g. '<|bos|>'")
    if not specials:
        return None
    return regex.compile("|".join(regex.escape(s) for s in specials))


def split_on_special(text: str, special_tokens: Iterable[str] = ()) -> list[str]:
    """The pieces of ordinary text between special tokens; the special tokens themselves are dropped.

    >>> split_on_special("hi<|bos|>there", ["<|bos|>"])
    ['hi', 'there']

    Where two special tokens could match at the same place the longest one wins; empty pieces
    (two specials in a row, a special at either end) are left out.
    """
    pattern = special_pattern(special_tokens)
    pieces = [text] if pattern is None else pattern.split(text)
    return [p for p in pieces if p]


def pretokenize(text: str, pattern: str = GPT4_SPLIT_PATTERN) -> list[str]:
    """Cut `text` into the chunks BPE merges inside: `"".join(pretokenize(t)) == t` always.

    >>> pretokenize("Hello world!!")
    ['Hello', ' world', '!!']
    """
    return regex.findall(pattern, text)
