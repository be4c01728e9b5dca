"""Debugging challenge ★★ (commit 0.1): the vocabulary comparison says a word-level model would miss
only 1 % of the held-out text, yet a word model trained on the same split emits <unk> far more
often than that. Find the bug; which test catches it?

    python -m pytest -q --challenge checkpoints_exercises/phase0/debug_oov_distinct_words.py --commit 0.1
"""

TARGET = "phase0_tokenizer.byte_tokenizer"
COMMIT = "0.1"
EXERCISE = "vocabulary_stats"


def vocabulary_stats(train_text, heldout_text):
    splitters = {"byte": lambda t: list(t.encode("utf-8")), "char": list, "word": WORD_RE.findall}  # noqa: F821
    stats = []
    for level in LEVELS:  # noqa: F821
        train_units, heldout_units = splitters[level](train_text), splitters[level](heldout_text)
        vocab = set(range(256)) if level == "byte" else set(train_units)
        distinct = set(heldout_units)  # each unknown word counted once, however often it occurs
        oov = len(distinct - vocab) / len(distinct) if distinct else 0.0
        stats.append(VocabStats(level, len(vocab), len(train_units), len(heldout_units), oov))  # noqa: F821
    return stats
