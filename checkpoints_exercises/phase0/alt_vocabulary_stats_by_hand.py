"""Alternative solution (commit 0.1, vocabulary_stats): the byte level without the codec — each
character's UTF-8 length comes from RFC 3629's table (1 byte below U+0080, 2 below U+0800, 3 below
U+10000, else 4), since only lengths are needed and the byte vocabulary is all 256 values anyway;
the OOV count uses a Counter of the held-out units, weighted by how often each occurs.

    python -m pytest -q --impl=reference --challenge=checkpoints_exercises/phase0/alt_vocabulary_stats_by_hand.py \
        --commit=0.1:vocabulary_stats phase0_tokenizer/tests
"""

from collections import Counter

TARGET = "phase0_tokenizer.byte_tokenizer"
COMMIT = "0.1"
EXERCISE = "vocabulary_stats"


def _utf8_length(text):
    return sum(1 if ord(c) < 0x80 else 2 if ord(c) < 0x800 else 3 if ord(c) < 0x10000 else 4 for c in text)


def vocabulary_stats(train_text, heldout_text):
    stats = []
    for level in ("byte", "char", "word"):
        if level == "byte":  # 256 values exist up front: every held-out byte is known
            vocab_size, train_len, heldout_len, unknown = 256, _utf8_length(train_text), _utf8_length(heldout_text), 0
        else:
            split = list if level == "char" else WORD_RE.findall  # noqa: F821
            known, counts = set(split(train_text)), Counter(split(heldout_text))
            vocab_size, train_len, heldout_len = len(known), len(split(train_text)), sum(counts.values())
            unknown = sum(n for unit, n in counts.items() if unit not in known)
        stats.append(VocabStats(level, vocab_size, train_len, heldout_len,  # noqa: F821
                                unknown / heldout_len if heldout_len else 0.0))
    return stats
