"""Alternative solution (commit 0.3, decode_ids): decode as a stream, with an incremental UTF-8
decoder fed one token's bytes at a time (what a chat UI printing tokens as they arrive needs). The
decoder keeps half a character between tokens, so a character split across tokens still joins up,
and final=True turns a dangling half into U+FFFD, as a one-shot decode does.

    python -m pytest -q --impl=reference --challenge=checkpoints_exercises/phase0/alt_decode_ids_incremental.py \
        --commit=0.3:decode_ids phase0_tokenizer/tests
"""

TARGET = "phase0_tokenizer.tokenizer"
COMMIT = "0.3"
EXERCISE = "decode_ids"

import codecs  # noqa: E402


def decode_ids(ids, id_to_bytes):
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    text = [decoder.decode(id_to_bytes[i]) for i in ids]
    text.append(decoder.decode(b"", final=True))
    return "".join(text)
