"""Debugging challenge ★★★ (commit 0.3): a chat fine-tune adds a short end-of-turn special token,
"<|end", beside GPT-2's "<|endoftext|>". Since then every document still decodes to the right
text, yet the model sees the id of "<|end" followed by the plain text "oftext|>" at every document
boundary, and learns to stop in the middle of nowhere. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_special_shortest_first.py --commit 0.3
"""

import regex

TARGET = "phase0_tokenizer.tokenizer"
COMMIT = "0.3"
EXERCISE = "encode"


def _encode(self, text, allowed_special, disallowed_special):
    allowed, disallowed = resolve_special(self.special_tokens, allowed_special, disallowed_special)  # noqa: F821
    for name in disallowed:
        if name in text:
            raise _special_in_text_error(name)  # noqa: F821
    pieces = [text]
    if allowed:  # shortest first: the cheap matches are tried before the long ones
        pieces = regex.split("(" + "|".join(regex.escape(s) for s in sorted(allowed, key=len)) + ")", text)
    ids = []
    for piece in pieces:
        if piece in allowed:
            ids.append(self.special_tokens[piece])
        else:
            for chunk in self._split.findall(piece):
                ids.extend(self._cache[chunk])
    return ids


Tokenizer._encode = _encode  # noqa: F821 (the copy's class, in the module this file is loaded into)
