"""The byte tokenizer and compression metrics, checked against Python's own UTF-8 codec and closed forms."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phase0_tokenizer.corpus import load_corpus

MODULE = "phase0_tokenizer.byte_tokenizer"
MIXED = "héllo, wörld! € 😀 ’"  # 1-, 2-, 3- and 4-byte characters
# `impl` is a function-scoped fixture but returns a module: safe to share across hypothesis examples.
PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# ----------------------------------------------------------------------------- encode / decode

@pytest.mark.commit("0.1", "encode")
def test_encode_gives_the_utf8_bytes(impl):
    tok = impl(MODULE).ByteTokenizer()
    assert tok.encode("é") == [195, 169]
    assert tok.encode("😀") == [240, 159, 152, 128]
    assert tok.encode(MIXED) == list(MIXED.encode("utf-8"))
    assert tok.encode("") == []


@pytest.mark.commit("0.1", "encode")
def test_encode_ids_fit_the_256_vocabulary(impl):
    tok = impl(MODULE).ByteTokenizer()
    ids = tok.encode(load_corpus("asv", max_bytes=20_000) + MIXED)
    assert tok.vocab_size == 256
    assert all(type(i) is int and 0 <= i < 256 for i in ids)


@pytest.mark.commit("0.1", "decode")
def test_decode_inverts_encode_on_known_text(impl):
    tok = impl(MODULE).ByteTokenizer()
    assert tok.decode([104, 195, 169]) == "hé"
    assert tok.decode(list(MIXED.encode("utf-8"))) == MIXED


@pytest.mark.commit("0.1", "decode")
@PROPERTY
@given(st.text())
def test_decode_of_utf8_bytes_is_identity_for_any_string(impl, text):
    tok = impl(MODULE).ByteTokenizer()
    assert tok.decode(list(text.encode("utf-8"))) == text  # Python's codec encodes: only decode is tested


@pytest.mark.commit("0.1", "decode")
def test_decode_replaces_invalid_utf8_instead_of_crashing(impl):
    tok = impl(MODULE).ByteTokenizer()
    assert tok.decode([0xFF]) == "\ufffd"            # never valid in UTF-8
    assert tok.decode([104, 195]) == "h\ufffd"       # half of "é": a model can stop mid-character
    assert tok.decode([0x80, 65]) == "\ufffdA"       # a lone continuation byte


@pytest.mark.commit("0.1", "decode")
@PROPERTY
@given(st.lists(st.integers(min_value=0, max_value=255), max_size=64))
def test_decode_matches_python_on_any_byte_sequence(impl, ids):
    tok = impl(MODULE).ByteTokenizer()
    assert tok.decode(ids) == bytes(ids).decode("utf-8", errors="replace")


# ----------------------------------------------------------------------------- metrics

@pytest.mark.commit("0.1", "chars_per_token")
def test_chars_per_token_counts_characters_not_bytes(impl):
    bt = impl(MODULE)
    assert bt.chars_per_token("héllo", 2) == 5 / 2    # 5 characters, 6 bytes
    assert bt.chars_per_token("😀😀😀", 3) == 1.0


@pytest.mark.commit("0.1", "chars_per_token")
def test_byte_tokenizer_chars_per_token_is_chars_over_bytes(impl):
    bt = impl(MODULE)
    text = load_corpus("asv", max_bytes=200_000)
    n_tokens = len(text.encode("utf-8"))               # one token per byte (reference encode)
    assert bt.chars_per_token(text, n_tokens) == len(text) / n_tokens
    assert bt.chars_per_token(text, n_tokens) < 1.0    # the ASV has multi-byte "’" and "—"


@pytest.mark.commit("0.1")
def test_bytes_per_token_counts_utf8_bytes():
    from phase0_tokenizer.byte_tokenizer import bytes_per_token
    assert bytes_per_token("héllo", 2) == 6 / 2
    assert bytes_per_token("€", 1) == 3.0


@pytest.mark.commit("0.1")
@pytest.mark.parametrize("n_tokens", [0, -3])
def test_metrics_reject_a_nonpositive_token_count(n_tokens):
    from phase0_tokenizer.byte_tokenizer import bytes_per_token, chars_per_token
    for metric in (chars_per_token, bytes_per_token):
        with pytest.raises(ValueError, match="n_tokens must be positive"):
            metric("abc", n_tokens)


# ----------------------------------------------------------------------------- byte vs char vs word

@pytest.mark.commit("0.1", "split_units")
def test_split_units_at_each_level(impl):
    bt = impl(MODULE)
    text = "Héllo, wörld!"
    assert bt.split_units(text, "byte") == list(text.encode("utf-8"))
    assert bt.split_units(text, "char") == list(text)
    assert bt.split_units(text, "word") == ["Héllo", ",", "wörld", "!"]


@pytest.mark.commit("0.1", "split_units")
def test_split_units_sequence_lengths_order_bytes_chars_words(impl):
    bt = impl(MODULE)
    text = load_corpus("asv", max_bytes=50_000)
    n_bytes, n_chars, n_words = (len(bt.split_units(text, level)) for level in ("byte", "char", "word"))
    assert (n_bytes, n_chars) == (len(text.encode("utf-8")), len(text))
    assert n_bytes >= n_chars > n_words > 0


@pytest.mark.commit("0.1")
def test_split_units_rejects_an_unknown_level():
    from phase0_tokenizer.byte_tokenizer import split_units
    with pytest.raises(ValueError, match="level must be one of"):
        split_units("abc", "subword")


@pytest.mark.commit("0.1", "oov_rate")
def test_oov_rate_is_the_share_of_unknown_units(impl):
    bt = impl(MODULE)
    assert bt.oov_rate({"a", "b"}, ["a", "c", "c", "b"]) == 0.5
    assert bt.oov_rate({"a"}, ["a", "a"]) == 0.0
    assert bt.oov_rate(set(), ["x"]) == 1.0


@pytest.mark.commit("0.1", "oov_rate")
def test_oov_rate_of_nothing_is_zero(impl):
    assert impl(MODULE).oov_rate({"a"}, []) == 0.0


@pytest.mark.commit("0.1")
def test_vocabulary_stats_bytes_never_oov_words_often_are():
    from phase0_tokenizer.byte_tokenizer import format_stats, vocabulary_stats
    text = load_corpus("asv", max_bytes=300_000)
    train, heldout = text[:270_000], text[270_000:] + " Zyxwv ☃"  # an unseen word and an unseen char
    stats = {s.level: s for s in vocabulary_stats(train, heldout)}
    assert stats["byte"].vocab_size == 256 and stats["byte"].oov_rate == 0.0
    assert stats["char"].oov_rate > 0.0                      # "☃" never appears in training
    assert stats["word"].oov_rate > stats["char"].oov_rate
    assert stats["char"].vocab_size < stats["word"].vocab_size
    assert stats["byte"].heldout_len == len(heldout.encode("utf-8"))
    assert "chars/token" in format_stats(list(stats.values()), heldout)
