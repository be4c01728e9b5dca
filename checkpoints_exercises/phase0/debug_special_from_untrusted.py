"""Debugging challenge ★★★ (commit 0.3): a chatbot built on this tokenizer treats user text with
`encode(text, allowed_special="none")`, meaning "special-token strings are plain text". A user
types "<|bos|>" into the chat and the model sees a real document boundary. Find the bug; which
test catches it? Why is this a security problem and not just a wrong id?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_special_from_untrusted.py --commit 0.3
"""

TARGET = "phase0_tokenizer.tokenizer"
COMMIT = "0.3"
EXERCISE = "split_special"


def resolve_special(special_tokens, allowed_special="none_raise", disallowed_special="all"):
    names = set(special_tokens)
    if allowed_special in ("all", "none"):  # "none" = no restrictions ... or is it?
        allowed = names
    elif allowed_special == "none_raise":
        allowed = set()
    else:
        allowed = set(allowed_special)
        if allowed - names:
            raise ValueError(f"allowed_special names unknown special tokens {sorted(allowed - names)}")
    if allowed_special == "none":
        return allowed, set()
    disallowed = names - allowed if disallowed_special == "all" else set(disallowed_special)
    return allowed, disallowed
