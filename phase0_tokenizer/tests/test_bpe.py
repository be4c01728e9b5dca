"""BPE training, the readable way: pair counts, merge, the naive trainer (commit 0.2)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from phase0_tokenizer.corpus import load_corpus
from phase0_tokenizer.pretokenize import pretokenize


def encode(text: str, merges: dict, pattern: str = r"\S+|\s+") -> list[int]:
    """A tiny independent encoder (not the trainer's code): per chunk, merge the lowest-rank pair until none is left."""
    out = []
    for chunk in pretokenize(text, pattern):
        ids = list(chunk.encode("utf-8"))
        while len(ids) > 1:
            pair = min(zip(ids, ids[1:]), key=lambda p: merges.get(p, float("inf")))
            if pair not in merges:
                break
            i, merged = 0, []
            while i < len(ids):
                take = ids[i:i + 2] == list(pair)
                merged.append(merges[pair] if take else ids[i])
                i += 2 if take else 1
            ids = merged
        out += ids
    return out


# ----------------------------------------------------------------------------- get_pair_counts

@pytest.mark.commit("0.2", "get_pair_counts")
def test_pair_counts_by_hand(impl):
    bpe = impl("phase0_tokenizer.bpe")
    assert bpe.get_pair_counts([1, 2, 3, 1, 2]) == {(1, 2): 2, (2, 3): 1, (3, 1): 1}
    assert bpe.get_pair_counts([7, 7, 7]) == {(7, 7): 2}  # overlapping pairs both count
    assert bpe.get_pair_counts([5]) == {}
    assert bpe.get_pair_counts([]) == {}


@pytest.mark.commit("0.2", "get_pair_counts")
def test_pair_counts_accumulate_into_a_given_dict(impl):
    bpe = impl("phase0_tokenizer.bpe")
    counts = {(1, 2): 10}
    result = bpe.get_pair_counts([1, 2, 1], counts)
    assert result is counts
    assert counts == {(1, 2): 11, (2, 1): 1}
    empty = {}  # an empty dict is still the caller's dict: `counts or {}` would drop it
    assert bpe.get_pair_counts([3, 4], empty) is empty and empty == {(3, 4): 1}
    bpe.get_pair_counts([4, 3], empty)
    assert empty == {(3, 4): 1, (4, 3): 1}


# ----------------------------------------------------------------------------- merge

@pytest.mark.commit("0.2", "merge")
def test_merge_replaces_every_occurrence(impl):
    bpe = impl("phase0_tokenizer.bpe")
    assert bpe.merge([1, 2, 3, 1, 2], (1, 2), 256) == [256, 3, 256]
    assert bpe.merge([3, 1, 2], (1, 2), 256) == [3, 256]  # a pair at the very end
    assert bpe.merge([1, 3, 2], (1, 2), 256) == [1, 3, 2]  # no occurrence: unchanged
    assert bpe.merge([], (1, 2), 256) == []


@pytest.mark.commit("0.2", "merge")
def test_merge_takes_overlapping_occurrences_from_the_left(impl):
    bpe = impl("phase0_tokenizer.bpe")
    assert bpe.merge([7, 7, 7], (7, 7), 256) == [256, 7]
    assert bpe.merge([7, 7, 7, 7], (7, 7), 256) == [256, 256]
    assert bpe.merge([1, 7, 7, 7, 2], (7, 7), 256) == [1, 256, 7, 2]


# ----------------------------------------------------------------------------- train_bpe

@pytest.mark.commit("0.2", "train_bpe")
def test_wikipedia_example_gives_minbpes_encoding(impl):
    # Wikipedia's BPE example, as in minbpe's test: after 3 merges "aaabdaaabac" encodes to
    # [258, 100, 258, 97, 99]. minbpe's ties go to the first pair seen ((97, 98) = "ab" second);
    # ours go to the greatest bytes, so "aa" + "a" wins over "a" + "b": token 258 is "aaab" both ways.
    bpe = impl("phase0_tokenizer.bpe")
    merges = bpe.train_bpe("aaabdaaabac", 256 + 3)
    assert merges == {(97, 97): 256, (256, 97): 257, (257, 98): 258}
    assert encode("aaabdaaabac", merges) == [258, 100, 258, 97, 99]
    assert bpe.build_vocab(merges)[258] == b"aaab"


@pytest.mark.commit("0.2", "train_bpe")
def test_merges_never_cross_chunk_boundaries(impl):
    bpe = impl("phase0_tokenizer.bpe")
    # " b" (space + b) is the most frequent pair of the raw bytes, but the chunk pattern \S+|\s+
    # puts spaces in chunks of their own, so it can never be learned.
    merges = bpe.train_bpe("ab ab ab ab", 256 + 2, pattern=r"\S+|\s+")
    assert merges == {(97, 98): 256}  # then nothing is left to merge: training stops early


@pytest.mark.commit("0.2", "train_bpe")
def test_ties_go_to_the_greatest_bytes(impl):
    bpe = impl("phase0_tokenizer.bpe")
    # all three pairs occur once: (c, d) has the greatest first token
    assert list(bpe.train_bpe("abcd", 257)) == [(99, 100)]
    # (a, a) wins on count. Then (aa, c) and (b, c) tie at 1: as *ids* 256 > 98, but as *bytes*
    # b"b" > b"aa", so (b, c) comes first.
    merges = bpe.train_bpe("aac aa aa bc", 256 + 3, pattern=r"\w+")
    assert merges == {(97, 97): 256, (98, 99): 257, (256, 99): 258}


@pytest.mark.commit("0.2", "train_bpe")
def test_special_tokens_never_take_part_in_a_merge(impl):
    bpe = impl("phase0_tokenizer.bpe")
    text = "<|bos|>" + "<|bos|>".join(["the cat sat", "the dog ran", "a cat ran"] * 5)
    # Without being told, the trainer learns pieces of the separator ...
    plain = bpe.build_vocab(bpe.train_bpe(text, 300))
    assert any(b"<|" in token or b"|>" in token for token in plain.values())
    # ... told, it never does: "<", "|", ">" only occur inside the special token.
    vocab = bpe.build_vocab(bpe.train_bpe(text, 300, special_tokens=("<|bos|>",)))
    assert len(vocab) > 256 + 10
    assert not any(set(token) & set(b"<|>") for i, token in vocab.items() if i >= 256)


@pytest.mark.commit("0.2", "train_bpe")
def test_encoding_reproduces_the_training_compression(impl):
    # Each merge of a pair that never overlaps itself removes exactly `count` tokens from the
    # training text. Replaying the learned merges with an independent encoder must land on
    # bytes - sum(counts) tokens, and decoding must give the text back.
    from phase0_tokenizer.bpe import build_vocab, get_pair_counts, merge  # the reference: only training is judged
    bpe = impl("phase0_tokenizer.bpe")
    text = "the quick brown fox jumps over the lazy dog; the dog naps, the fox runs. " * 3
    merges = bpe.train_bpe(text, 256 + 40, pattern=r"\S+|\s+")
    ids = encode(text, merges)
    vocab = build_vocab(merges)
    assert b"".join(vocab[i] for i in ids) == text.encode()
    chunks = [list(c.encode()) for c in pretokenize(text, r"\S+|\s+")]
    saved = 0
    for pair, new_id in merges.items():
        counts = {}
        for c in chunks:
            get_pair_counts(c, counts)
        assert pair[0] != pair[1], "this text has no runs, so every count is exact"
        saved += counts[pair]
        chunks = [merge(c, pair, new_id) for c in chunks]
    assert len(ids) == len(text.encode()) - saved
    assert len(text) / len(ids) > 2.0  # spaces are chunks of their own here, so at best ~2.4


@pytest.mark.commit("0.2", "train_bpe")
def test_asv_excerpt_learns_english_subwords(impl):
    bpe = impl("phase0_tokenizer.bpe")
    text = load_corpus("asv", max_bytes=3000)
    vocab = bpe.build_vocab(bpe.train_bpe(text, 256 + 30))
    assert b" the" in vocab.values() and b" and" in vocab.values()


@pytest.mark.commit("0.2")
def test_vocab_size_below_256_is_a_clear_error():
    from phase0_tokenizer.bpe import train_bpe
    with pytest.raises(ValueError, match=">= 256"):
        train_bpe("abc", 100)


@pytest.mark.commit("0.2")
def test_build_vocab_concatenates_bytes_in_merge_order():
    from phase0_tokenizer.bpe import build_vocab
    vocab = build_vocab({(104, 105): 256, (256, 33): 257})
    assert len(vocab) == 258 and vocab[65] == b"A"
    assert vocab[256] == b"hi" and vocab[257] == b"hi!"


@pytest.mark.commit("0.2", "train_bpe")
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="abc ab\n.é", max_size=50), st.integers(256, 280))
def test_train_bpe_equals_the_fast_trainer_on_generated_texts(impl, text, vocab_size):
    # Independent oracle: the reference fast trainer (unique chunks, incremental counts, a heap)
    # implements the same specification by another algorithm. Short texts over a small alphabet
    # make many ties, including between tokens that are prefixes of each other ("a" + "bc" vs
    # "ab" + "c" spell the same bytes): only the stated rule (vocab[a], then vocab[b]) passes.
    from phase0_tokenizer.bpe_fast import train_bpe_fast
    got = impl("phase0_tokenizer.bpe").train_bpe(text, vocab_size)
    assert list(got.items()) == list(train_bpe_fast(text, vocab_size, workers=1).items())
