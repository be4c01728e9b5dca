"""Alternative solution (commit 0.3, split_special): no regex. Walk the text with str.find: at each
step find the earliest occurrence of any special (the longest one where several start at the same
place), emit the text before it and the special itself, continue after it.

    python -m pytest -q --impl=reference --challenge=checkpoints_exercises/phase0/alt_split_special_scan.py \
        --commit=0.3:split_special phase0_tokenizer/tests
"""

TARGET = "phase0_tokenizer.tokenizer"
COMMIT = "0.3"
EXERCISE = "split_special"


def split_special(text, special):
    special = [s for s in set(special) if s]
    pieces, pos = [], 0
    while True:
        hits = [(text.find(s, pos), -len(s), s) for s in special]
        hits = [h for h in hits if h[0] >= 0]
        if not hits:
            break
        start, _, s = min(hits)  # earliest start, then longest
        if start > pos:
            pieces.append(text[pos:start])
        pieces.append(s)
        pos = start + len(s)
    if pos < len(text):
        pieces.append(text[pos:])
    return pieces
