"""Alternative solution (commit 0.1, encode): UTF-8 written out by hand from RFC 3629's table instead
of calling str.encode. Each code point becomes 1-4 bytes: a lead byte whose high bits say how many
bytes follow (0xxxxxxx, 110xxxxx, 1110xxxx, 11110xxx), then continuation bytes 10xxxxxx carrying
6 bits each. Slower than the codec, same bytes for every valid string.

    python -m pytest -q --impl=reference --challenge=checkpoints_exercises/phase0/alt_encode_utf8_by_hand.py \
        --commit=0.1:encode phase0_tokenizer/tests
"""

TARGET = "phase0_tokenizer.byte_tokenizer"
COMMIT = "0.1"
EXERCISE = "encode"


def _encode(self, text: str) -> list[int]:
    out = []
    for ch in text:
        cp = ord(ch)
        if cp < 0x80:
            out.append(cp)
        elif cp < 0x800:
            out += [0xC0 | cp >> 6, 0x80 | cp & 0x3F]
        elif cp < 0x10000:
            out += [0xE0 | cp >> 12, 0x80 | cp >> 6 & 0x3F, 0x80 | cp & 0x3F]
        else:
            out += [0xF0 | cp >> 18, 0x80 | cp >> 12 & 0x3F, 0x80 | cp >> 6 & 0x3F, 0x80 | cp & 0x3F]
    return out


ByteTokenizer.encode = _encode  # noqa: F821 (the copy's class, in the module this file is loaded into)
