"""Debugging challenge ★★★ (commit 0.3): a chatbot built on this tokenizer encodes user text with
`encode(text, disallowed_special=())`, meaning "special-token strings are plain text". A user
types "<|bos|>" into the chat and the model sees a real document boundary. Find the bug; which
test catches it? Why is this a security problem and not just a wrong id?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_special_from_untrusted.py --commit 0.3
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
    # cut at every special token the tokenizer knows: the ones nobody allowed are "filtered" later ... or are they?
    names = sorted(self.special_tokens, key=len, reverse=True)
    pieces = regex.split("(" + "|".join(regex.escape(s) for s in names) + ")", text) if names else [text]
    ids = []
    for piece in pieces:
        if piece in self.special_tokens:
            ids.append(self.special_tokens[piece])
        else:
            for chunk in self._split.findall(piece):
                ids.extend(self._cache[chunk])
    return ids


Tokenizer._encode = _encode  # noqa: F821 (the copy's class, in the module this file is loaded into)
