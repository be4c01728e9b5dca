"""The byte tokenizer and compression metrics, checked against Python's own UTF-8 codec and closed forms."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phase0_tokenizer.byte_tokenizer import LEVELS, WORD_RE, ByteTokenizer, chars_per_token
from phase0_tokenizer.corpus import load_corpus

MODULE = "phase0_tokenizer.byte_tokenizer"
MIXED = "héllo, wörld! € 😀 ’"  # 1-, 2-, 3- and 4-byte characters
# `impl` is a function-scoped fixture but returns a module: safe to share across hypothesis examples.
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# ----------------------------------------------------------------------------- encode / decode
# ByteTokenizer and the metrics are given code in commit 0.1 (one line each): checked on the reference.

@pytest.mark.commit("0.1")
def test_encode_gives_the_utf8_bytes():
    tok = ByteTokenizer()
    assert tok.encode("é") == [195, 169]
    assert tok.encode("😀") == [240, 159, 152, 128]
    assert tok.encode(MIXED) == list(MIXED.encode("utf-8"))
    assert tok.encode("") == []


@pytest.mark.commit("0.1")
def test_encode_ids_fit_the_256_vocabulary():
    tok = ByteTokenizer()
    ids = tok.encode(load_corpus("asv", max_bytes=20_000) + MIXED)
    assert tok.vocab_size == 256
    assert all(type(i) is int and 0 <= i < 256 for i in ids)


@pytest.mark.commit("0.1")
def test_decode_inverts_encode_on_known_text():
    tok = ByteTokenizer()
    assert tok.decode([104, 195, 169]) == "hé"
    assert tok.decode(list(MIXED.encode("utf-8"))) == MIXED


@pytest.mark.commit("0.1")
@PROPERTY
@given(st.text())
def test_decode_of_utf8_bytes_is_identity_for_any_string(text):
    tok = ByteTokenizer()
    assert tok.decode(list(text.encode("utf-8"))) == text  # Python's codec encodes: only decode is tested


@pytest.mark.commit("0.1")
def test_decode_replaces_invalid_utf8_instead_of_crashing():
    tok = ByteTokenizer()
    assert tok.decode([0xFF]) == "\ufffd"            # never valid in UTF-8
    assert tok.decode([104, 195]) == "h\ufffd"       # half of "é": a model can stop mid-character
    assert tok.decode([0x80, 65]) == "\ufffdA"       # a lone continuation byte


@pytest.mark.commit("0.1")
@PROPERTY
@given(st.lists(st.integers(min_value=0, max_value=255), max_size=64))
def test_decode_matches_python_on_any_byte_sequence(ids):
    tok = ByteTokenizer()
    assert tok.decode(ids) == bytes(ids).decode("utf-8", errors="replace")


# ----------------------------------------------------------------------------- metrics

@pytest.mark.commit("0.1")
def test_chars_per_token_counts_characters_not_bytes():
    assert chars_per_token("héllo", 2) == 5 / 2    # 5 characters, 6 bytes
    assert chars_per_token("😀😀😀", 3) == 1.0


@pytest.mark.commit("0.1")
def test_byte_tokenizer_chars_per_token_is_chars_over_bytes():
    text = load_corpus("asv", max_bytes=200_000)
    n_tokens = len(text.encode("utf-8"))               # one token per byte (reference encode)
    assert chars_per_token(text, n_tokens) == len(text) / n_tokens
    assert chars_per_token(text, n_tokens) < 1.0    # the ASV has multi-byte "’" and "—"


@pytest.mark.commit("0.1")
def test_bytes_per_token_counts_utf8_bytes():
    from phase0_tokenizer.byte_tokenizer import bytes_per_token
    assert bytes_per_token("héllo", 2) == 6 / 2
    assert bytes_per_token("€", 1) == 3.0


@pytest.mark.commit("0.1")
@pytest.mark.parametrize("n_tokens", [0, -3])
def test_metrics_reject_a_nonpositive_token_count(n_tokens):
    from phase0_tokenizer.byte_tokenizer import bytes_per_token
    for metric in (chars_per_token, bytes_per_token):
        with pytest.raises(ValueError, match="n_tokens must be positive"):
            metric("abc", n_tokens)


# ----------------------------------------------------------------------------- byte vs char vs word

def by_level(stats) -> dict:
    """{level: VocabStats}, after checking the list holds one entry per level in LEVELS order."""
    assert [s.level for s in stats] == list(LEVELS), \
        f"vocabulary_stats must return one VocabStats per level in the order {LEVELS}, got {[s.level for s in stats]}"
    return {s.level: s for s in stats}


def expected_stats(train: str, heldout: str) -> dict:
    """The oracle, straight from the docstring's definitions: {level: (vocab, train_len, heldout_len, oov)}."""
    units = {"byte": lambda t: t.encode("utf-8"), "char": lambda t: t, "word": WORD_RE.findall}
    out = {}
    for level, split in units.items():
        train_units, heldout_units = list(split(train)), list(split(heldout))
        vocab = set(range(256)) if level == "byte" else set(train_units)
        missing = [u for u in heldout_units if u not in vocab]
        out[level] = (len(vocab), len(train_units), len(heldout_units),
                      len(missing) / len(heldout_units) if heldout_units else 0.0)
    return out


@pytest.mark.commit("0.1", "vocabulary_stats")
def test_vocabulary_stats_on_a_sentence_worked_by_hand(impl):
    stats = by_level(impl(MODULE).vocabulary_stats("the cat", "the dog!"))
    # byte: 256 values, 7 and 8 bytes, nothing unknown
    assert stats["byte"].vocab_size == 256 and stats["byte"].oov_rate == 0.0, (
        "the byte vocabulary is all 256 byte values by construction, not the bytes the training text happens "
        "to contain: that is why a byte model is never out of vocabulary (ADR 001)")
    assert (stats["byte"].train_len, stats["byte"].heldout_len) == (7, 8)
    # char: {t, h, e, space, c, a}; held out "the dog!" has d, o, g, ! unknown: 4 of 8
    assert (stats["char"].vocab_size, stats["char"].train_len, stats["char"].heldout_len) == (6, 7, 8)
    assert stats["char"].oov_rate == 0.5, "OOV rate = unknown held-out units / all held-out units"
    # word: {the, cat}; held out [the, dog, !]: 2 of 3 unknown (whitespace is not a word)
    assert (stats["word"].vocab_size, stats["word"].train_len, stats["word"].heldout_len) == (2, 2, 3), \
        "words are the WORD_RE matches: letters/digits runs or one punctuation mark; whitespace is dropped"
    assert stats["word"].oov_rate == pytest.approx(2 / 3)  # one division: within float rounding


@pytest.mark.commit("0.1", "vocabulary_stats")
def test_oov_rate_counts_every_occurrence_not_distinct_units(impl):
    stats = by_level(impl(MODULE).vocabulary_stats("the cat", "dog dog dog the"))
    assert stats["word"].oov_rate == pytest.approx(3 / 4), (
        "OOV rate is the share of the held-out TEXT a model could not say: 'dog' three times is 3 of 4 units "
        "unknown, not 1 of 2 distinct words")


@pytest.mark.commit("0.1", "vocabulary_stats")
def test_bytes_count_utf8_bytes_and_are_never_out_of_vocabulary(impl):
    stats = by_level(impl(MODULE).vocabulary_stats("abc", "é€😀"))  # 2 + 3 + 4 bytes, none in "abc"
    assert stats["byte"].heldout_len == 9, "the byte level counts UTF-8 bytes: é is 2, € 3, 😀 4"
    assert stats["byte"].vocab_size == 256 and stats["byte"].oov_rate == 0.0, (
        "the byte vocabulary is all 256 values by construction, not the bytes seen in training: "
        "that is exactly why a byte model is never out of vocabulary (ADR 001)")
    assert stats["char"].heldout_len == 3 and stats["char"].oov_rate == 1.0


@pytest.mark.commit("0.1", "vocabulary_stats")
def test_empty_texts_give_zero_lengths_and_zero_oov(impl):
    stats = by_level(impl(MODULE).vocabulary_stats("some words", ""))
    assert all(s.heldout_len == 0 and s.oov_rate == 0.0 for s in stats.values()), \
        "no held-out units: the OOV rate is 0.0 (nothing was missed), not a ZeroDivisionError"
    stats = by_level(impl(MODULE).vocabulary_stats("", "new text"))
    assert (stats["char"].vocab_size, stats["word"].vocab_size, stats["byte"].vocab_size) == (0, 0, 256)
    assert stats["char"].oov_rate == stats["word"].oov_rate == 1.0 and stats["byte"].oov_rate == 0.0


@pytest.mark.commit("0.1", "vocabulary_stats")
@PROPERTY
@given(st.text(max_size=60), st.text(max_size=60))
def test_vocabulary_stats_match_the_definitions_on_any_text(impl, train, heldout):
    stats = by_level(impl(MODULE).vocabulary_stats(train, heldout))
    for level, (vocab, train_len, heldout_len, oov) in expected_stats(train, heldout).items():
        got = stats[level]
        assert (got.vocab_size, got.train_len, got.heldout_len) == (vocab, train_len, heldout_len), level
        assert got.oov_rate == pytest.approx(oov), level  # one division either way: float rounding only


@pytest.mark.commit("0.1", "vocabulary_stats")
def test_vocabulary_stats_bytes_never_oov_words_often_are(impl):
    bt = impl(MODULE)
    text = load_corpus("asv", max_bytes=300_000)
    train, heldout = text[:270_000], text[270_000:] + " Zyxwv ☃"  # an unseen word and an unseen char
    stats = by_level(bt.vocabulary_stats(train, heldout))
    assert stats["byte"].vocab_size == 256 and stats["byte"].oov_rate == 0.0
    assert stats["char"].oov_rate > 0.0                      # "☃" never appears in training
    assert stats["word"].oov_rate > stats["char"].oov_rate
    assert stats["char"].vocab_size < stats["word"].vocab_size
    assert stats["byte"].heldout_len == len(heldout.encode("utf-8"))
    assert stats["byte"].heldout_len >= stats["char"].heldout_len > stats["word"].heldout_len > 0
    assert "chars/token" in bt.format_stats(list(stats.values()), heldout)
