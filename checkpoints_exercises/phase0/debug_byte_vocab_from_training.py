"""Debugging challenge ★★ (commit 0.1): on the ASV the comparison prints what ADR 001 promises —
bytes 0 % out of vocabulary. On a held-out page of Chinese text, the byte level suddenly reports
OOV > 0 although a byte model can write any string. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_byte_vocab_from_training.py --commit 0.1
"""

TARGET = "phase0_tokenizer.byte_tokenizer"
COMMIT = "0.1"
EXERCISE = "vocabulary_stats"


def vocabulary_stats(train_text, heldout_text):
    splitters = {"byte": lambda t: list(t.encode("utf-8")), "char": list, "word": WORD_RE.findall}  # noqa: F821
    stats = []
    for level in LEVELS:  # noqa: F821
        train_units, heldout_units = splitters[level](train_text), splitters[level](heldout_text)
        vocab = set(train_units)  # "the vocabulary is what training saw" ... at every level?
        oov = sum(u not in vocab for u in heldout_units) / len(heldout_units) if heldout_units else 0.0
        stats.append(VocabStats(level, len(vocab), len(train_units), len(heldout_units), oov))  # noqa: F821
    return stats
