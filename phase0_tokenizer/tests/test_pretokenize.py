"""Pre-tokenization: the split patterns are tiktoken's, chunks cover the text, special tokens are cut out."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phase0_tokenizer.pretokenize import GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN, pretokenize, split_on_special


def _tiktoken_pattern(constructor: str, monkeypatch) -> str:
    """The pat_str tiktoken itself uses, read offline: the constructor would download the merges,
    so its loader is replaced by a stub that returns no ranks (the pattern is a literal in the source)."""
    openai_public = pytest.importorskip("tiktoken_ext.openai_public")
    monkeypatch.setattr(openai_public, "load_tiktoken_bpe", lambda *a, **k: {})
    monkeypatch.setattr(openai_public, "data_gym_to_mergeable_bpe_ranks", lambda *a, **k: {})
    return getattr(openai_public, constructor)()["pat_str"]


@pytest.mark.commit("0.2")
def test_gpt2_pattern_is_tiktokens_r50k_base(monkeypatch):
    assert GPT2_SPLIT_PATTERN == _tiktoken_pattern("r50k_base", monkeypatch)


@pytest.mark.commit("0.2")
def test_gpt4_pattern_is_tiktokens_cl100k_base(monkeypatch):
    assert GPT4_SPLIT_PATTERN == _tiktoken_pattern("cl100k_base", monkeypatch)


@pytest.mark.commit("0.2")
def test_gpt4_split_by_hand():
    assert pretokenize("Hello world!! It's 12345 apples.\n\n  ok") == \
        ["Hello", " world", "!!", " It", "'s", " ", "123", "45", " apples", ".\n\n", " ", " ok"]


@pytest.mark.commit("0.2")
def test_gpt2_split_differs_from_gpt4_on_numbers_and_case():
    assert pretokenize("I'LL pay 12345", GPT2_SPLIT_PATTERN) == ["I", "'", "LL", " pay", " 12345"]
    assert pretokenize("I'LL pay 12345", GPT4_SPLIT_PATTERN) == ["I", "'LL", " pay", " ", "123", "45"]


@pytest.mark.commit("0.2")
@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_chunks_concatenate_back_to_the_text(text):
    for pattern in (GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN):
        chunks = pretokenize(text, pattern)
        assert "".join(chunks) == text
        assert all(chunks)


@pytest.mark.commit("0.2")
def test_split_on_special_drops_the_special_tokens():
    assert split_on_special("a<|bos|>b<|bos|><|bos|>c<|bos|>", ["<|bos|>"]) == ["a", "b", "c"]
    assert split_on_special("no specials here", []) == ["no specials here"]
    assert split_on_special("", ["<|bos|>"]) == []


@pytest.mark.commit("0.2")
def test_split_on_special_longest_token_wins():
    # "<|end|>x" and "<|end|>" both match at 1: the longer one is cut, no stray "x" is left
    assert split_on_special("a<|end|>xb", ["<|end|>", "<|end|>x"]) == ["a", "b"]
    assert split_on_special("a<|end|>b", ["<|end|>", "<|end|>x"]) == ["a", "b"]


@pytest.mark.commit("0.2")
def test_split_on_special_treats_regex_characters_literally():
    assert split_on_special("1+1=2[.*]3", ["[.*]", "+"]) == ["1", "1=2", "3"]


@pytest.mark.commit("0.2")
def test_empty_special_token_is_a_clear_error():
    with pytest.raises(ValueError, match="non-empty"):
        split_on_special("abc", [""])
