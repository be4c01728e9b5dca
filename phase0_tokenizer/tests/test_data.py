"""The data pipeline (commit 0.4): shards round-trip, batches are windows shifted by one, the
sequential loader gives every window exactly once per epoch across ranks and resumes exactly,
and token_bytes are the UTF-8 lengths tiktoken reports."""

import functools
import json

import numpy as np
import pytest
import torch

from phase0_tokenizer.corpus import load_documents
from phase0_tokenizer.data import SequentialLoader, TokenDataset, get_batch, write_shards
from phase0_tokenizer.tokenizer import Tokenizer

DATA = "phase0_tokenizer.data"


@functools.lru_cache(maxsize=1)
def tokenizer() -> Tokenizer:
    docs = load_documents("asv", max_bytes=40_000)
    return Tokenizer.train("".join(docs), 512)


def docs() -> list[str]:
    return ["In the beginning", "God created <|bos|> the heaven", "and the earth.", "Ünïcödé 😀", "x" * 50] * 4


def stream(tok: Tokenizer, documents: list[str]) -> list[int]:
    """Oracle: the BOS-delimited token stream, built directly."""
    return [i for d in documents for i in [tok.bos_id, *tok.encode_ordinary(d)]]


# ---- shards (reference only) ---------------------------------------------------------------------
@pytest.mark.commit("0.4")
def test_shards_round_trip_bos_delimited_documents_with_every_tenth_in_val(tmp_path):
    tok, documents = tokenizer(), docs()
    meta = write_shards(tok, iter(documents), tmp_path, shard_tokens=7, val_fraction=0.1)
    val_docs = [d for i, d in enumerate(documents) if i % 10 == 9]
    train_docs = [d for i, d in enumerate(documents) if i % 10 != 9]
    train, val = TokenDataset(tmp_path, "train"), TokenDataset(tmp_path, "val")
    assert train.tokens.tolist() == stream(tok, train_docs) and val.tokens.tolist() == stream(tok, val_docs)
    assert meta["documents"] == {"train": 18, "val": 2} and meta["dtype"] == "uint16"
    assert len(train.shards) > 1 and all(len(s) == 7 for s in train.shards[:-1])
    assert train[5:30].tolist() == train.tokens[5:30].tolist()  # slices read across shard boundaries
    assert tok.bos_id not in tok.encode_ordinary("<|bos|>")  # a "<|bos|>" string inside a document stays text
    assert not list(tmp_path.glob("*.tmp"))


@pytest.mark.commit("0.4")
def test_shards_are_raw_little_endian_and_uint32_past_65536_tokens(tmp_path):
    class Big:  # a stand-in tokenizer with a vocabulary too large for uint16
        vocab_size, bos_id = 70_000, 69_999

        def encode_ordinary(self, text):
            return [65_536 + len(text), 3]

    meta = write_shards(Big(), ["abc"], tmp_path, val_fraction=0)
    assert meta["dtype"] == "uint32"
    raw = (tmp_path / "train_000000.bin").read_bytes()
    assert np.frombuffer(raw, dtype="<u4").tolist() == [69_999, 65_539, 3] == TokenDataset(tmp_path).tokens.tolist()


@pytest.mark.commit("0.4")
def test_missing_meta_truncated_shard_or_empty_split_raise_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="write_shards"):
        TokenDataset(tmp_path)
    write_shards(tokenizer(), docs()[:3], tmp_path, val_fraction=0.1)
    with pytest.raises(ValueError, match="empty"):
        TokenDataset(tmp_path, "val")  # 3 documents: none is the 10th
    shard = tmp_path / "train_000000.bin"
    shard.write_bytes(shard.read_bytes()[:-2])
    with pytest.raises(ValueError, match="truncated"):
        TokenDataset(tmp_path)
    meta = json.loads((tmp_path / "meta.json").read_text())
    (tmp_path / "meta.json").write_text(json.dumps(meta | {"version": 99}))
    with pytest.raises(ValueError, match="v99"):
        TokenDataset(tmp_path)


# ---- 0.4 get_batch ------------------------------------------------------------------------------
@pytest.mark.commit("0.4", "get_batch")
def test_get_batch_targets_are_the_inputs_shifted_by_one(impl):
    data = np.arange(1000, dtype=np.uint16) * 3  # each token says where it is: token = 3 * position
    x, y = impl(DATA).get_batch(data, 16, 8, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (16, 8) and x.dtype == y.dtype == torch.int64
    assert torch.equal(x[:, 1:], y[:, :-1])  # y is x moved left by one ...
    assert torch.equal(y[:, -1], x[:, -1] + 3)  # ... and its last target is the token after the window
    assert torch.equal(x, x[:, :1] + 3 * torch.arange(8))  # windows are contiguous


@pytest.mark.commit("0.4", "get_batch")
def test_get_batch_uses_every_start_and_never_runs_past_the_end(impl):
    data = torch.arange(10)
    x, y = impl(DATA).get_batch(data, 2000, 4, generator=torch.Generator().manual_seed(1))
    assert set(x[:, 0].tolist()) == set(range(6)) and int(y.max()) == 9
    x, y = impl(DATA).get_batch(torch.arange(5), 64, 4)  # exactly block_size + 1 tokens: one window
    assert (x[:, 0] == 0).all() and (y[:, -1] == 4).all()


@pytest.mark.commit("0.4", "get_batch")
def test_get_batch_reads_a_multi_shard_dataset_as_one_stream(impl, tmp_path):
    tok = tokenizer()
    write_shards(tok, docs(), tmp_path, shard_tokens=5, val_fraction=0)
    ds = TokenDataset(tmp_path)
    x, y = impl(DATA).get_batch(ds, 64, 12, generator=torch.Generator().manual_seed(0))
    full = ds.tokens.tolist()
    for row_x, row_y in zip(x.tolist(), y.tolist()):
        start = next(i for i in range(len(full)) if full[i:i + 13] == row_x + row_y[-1:])
        assert full[start + 1:start + 13] == row_y


@pytest.mark.commit("0.4", "get_batch")
def test_get_batch_is_reproducible_from_its_generator_alone(impl):
    data = np.arange(10_000)
    get_batch = impl(DATA).get_batch

    def draw(gen_seed: int, global_seed: int):
        torch.manual_seed(global_seed)  # a different global RNG state must not matter ...
        gen = torch.Generator().manual_seed(gen_seed)
        before = gen.get_state()
        x, _ = get_batch(data, 32, 8, generator=gen)
        assert not torch.equal(gen.get_state(), before), "the batch must be drawn from `generator`"
        return x

    assert torch.equal(draw(1, global_seed=0), draw(1, global_seed=123))  # ... only the generator's seed does
    assert not torch.equal(draw(1, global_seed=0), draw(2, global_seed=0))  # 32 starts among 9992: never equal
    torch.manual_seed(5)  # no generator: torch's global RNG, which moves on after each batch
    first, second = get_batch(data, 32, 8)[0], get_batch(data, 32, 8)[0]
    torch.manual_seed(5)
    assert torch.equal(get_batch(data, 32, 8)[0], first) and not torch.equal(first, second)


@pytest.mark.commit("0.4")
def test_get_batch_rejects_a_bad_device_or_too_short_data_with_a_clear_message():
    with pytest.raises(ValueError, match="at least 9"):
        get_batch(np.arange(8), 2, 8)
    with pytest.raises(ValueError, match="not a torch device"):
        get_batch(np.arange(100), 2, 8, device="gpu0")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="device='cpu'"):
            get_batch(np.arange(100), 2, 8, device="cuda")


# ---- 0.4 next_batch: the sequential loader sharded by rank ----------------------------------------
@pytest.mark.commit("0.4", "next_batch")
@pytest.mark.parametrize("world_size,shuffle", [(1, False), (3, False), (2, True)])
def test_each_rank_reads_its_own_windows_in_the_epochs_order(impl, world_size, shuffle):
    B, T = 2, 3
    tokens = np.random.default_rng(0).integers(0, 50_000, size=T * 25 + 2)  # 25 windows + a spare token
    loaders = [impl(DATA).SequentialLoader(tokens, B, T, rank=r, world_size=world_size, shuffle=shuffle, seed=5)
               for r in range(world_size)]
    steps = loaders[0].steps_per_epoch
    assert steps == 25 // (B * world_size)
    for epoch in range(2):  # a shuffled loader draws a new order in epoch 1
        for k in range(steps):
            for r, loader in enumerate(loaders):
                order = loader.order(epoch)
                first = (k * world_size + r) * B  # the docstring's formula: steps before, then ranks before
                windows = [int(w) for w in order[first:first + B]]
                x, y = next(loader)
                assert x.dtype == y.dtype == torch.int64 and x.shape == y.shape == (B, T)
                expected = torch.tensor(np.stack([tokens[w * T:w * T + T + 1] for w in windows]), dtype=torch.int64)
                assert torch.equal(x, expected[:, :-1]), (
                    f"epoch {epoch}, step {k}, rank {r}: expected windows {windows} of the epoch's order "
                    f"(positions {first}..{first + B - 1}); window w is tokens [w*T, w*T + T]")
                assert torch.equal(y, expected[:, 1:]), "y is x shifted left by one: the token after each input"
                assert (loader.epoch, loader.step) == ((epoch, k + 1) if k + 1 < steps else (epoch + 1, 0)), (
                    "after a batch, step += 1; when step reaches steps_per_epoch the next epoch starts at step 0")


@pytest.mark.commit("0.4", "next_batch")
@pytest.mark.parametrize("world_size,shuffle", [(1, False), (2, False), (3, True), (4, True)])
def test_loader_sharding_covers_every_window_once_per_epoch(impl, world_size, shuffle):
    block, batch = 4, 3
    tokens = np.arange(block * 72 + 1)  # 72 windows: a multiple of batch x world for every world here
    loaders = [impl(DATA).SequentialLoader(tokens, batch, block, rank=r, world_size=world_size, shuffle=shuffle)
               for r in range(world_size)]
    seen = []
    for loader in loaders:
        for _ in range(loader.steps_per_epoch):
            x, y = next(loader)
            assert torch.equal(x[:, 1:], y[:, :-1]) and torch.equal(y[:, -1], x[:, -1] + 1)
            seen += (x[:, 0] // block).tolist()
        assert (loader.epoch, loader.step) == (1, 0), "after steps_per_epoch batches the next epoch begins"
    assert sorted(seen) == list(range((len(tokens) - 1) // block)), (
        "over one epoch the ranks together must read every window exactly once: a rank reads its own B "
        "windows of each step, after the windows of all earlier steps and earlier ranks")


@pytest.mark.commit("0.4", "next_batch")
def test_loader_resumes_exactly_even_with_another_world_size(impl):
    tokens = np.arange(2 * 4 * 30 + 1)
    make = functools.partial(impl(DATA).SequentialLoader, tokens, 4, 2, shuffle=True, seed=7)
    one = make()
    for _ in range(6):
        next(one)
    state = one.state_dict()
    expected = [next(one)[0] for _ in range(2)]  # single process: the next two steps
    pair = [make(rank=r, world_size=2) for r in range(2)]
    for loader in pair:
        loader.load_state_dict(state)
    got = torch.cat([next(pair[0])[0], next(pair[1])[0]])  # two ranks: one step covers the same windows
    assert torch.equal(got, torch.cat(expected))


@pytest.mark.commit("0.4", "next_batch")
def test_loader_over_a_multiple_of_block_size_tokens_runs_whole_epochs(impl):
    # 48 tokens, T=4: window w needs tokens [4w, 4w+5), so only 11 windows fit (the 12th lacks its
    # last target). 11 windows // batch 2 = 5 steps per epoch; window 10 is left over each epoch.
    tokens = np.arange(48)
    loader = impl(DATA).SequentialLoader(tokens, 2, 4)
    assert (loader.n_windows, loader.steps_per_epoch) == (11, 5)
    for epoch in range(3):
        starts = []
        for _ in range(5):
            x, y = next(loader)
            assert torch.equal(x[:, 1:], y[:, :-1]) and torch.equal(y[:, -1], x[:, -1] + 1)
            starts += x[:, 0].tolist()
        assert starts == [4 * w for w in range(10)] and loader.epoch == epoch + 1


@pytest.mark.commit("0.4", "next_batch")
@pytest.mark.parametrize("steps", [5, 7, 12])  # at the boundary, inside epoch 1, inside epoch 2
def test_loader_resumes_across_an_epoch_boundary(impl, steps):
    tokens = np.arange(4 * 10 + 1)  # 10 windows, batch 2: 5 steps per epoch, a new permutation each epoch
    make = functools.partial(impl(DATA).SequentialLoader, tokens, 2, 4, shuffle=True, seed=3)
    run = make()
    for _ in range(steps):
        next(run)
    state = run.state_dict()
    assert state["epoch"] == steps // 5, "state_dict says where the NEXT batch comes from: a finished epoch is over"
    resumed = SequentialLoader(tokens, 2, 4, shuffle=True, seed=3)  # the reference reads what was saved
    resumed.load_state_dict(json.loads(json.dumps(state)))  # as a checkpoint stores it
    for _ in range(6):  # into the next epoch too
        assert torch.equal(next(resumed)[0], next(run)[0])


@pytest.mark.commit("0.4")
def test_loader_rejects_mismatched_resume_state_and_bad_rank():
    tokens = np.arange(101)
    state = SequentialLoader(tokens, 2, 4).state_dict()
    with pytest.raises(ValueError, match="block_size"):
        SequentialLoader(tokens, 2, 5).load_state_dict(state)
    with pytest.raises(ValueError, match="rank=2"):
        SequentialLoader(tokens, 2, 4, rank=2, world_size=2)
    with pytest.raises(ValueError, match="at least"):
        SequentialLoader(tokens, 20, 4, world_size=2)


# ---- 0.4 token_bytes ----------------------------------------------------------------------------
@pytest.mark.commit("0.4", "token_bytes")
def test_token_bytes_are_each_tokens_utf8_length_and_zero_for_specials(impl):
    tok = tokenizer()
    lengths = impl(DATA).token_bytes(tok)
    enc = tok.to_tiktoken()  # oracle: tiktoken's own bytes for each id
    assert lengths.shape == (tok.vocab_size,) and lengths.dtype == torch.int64
    assert lengths.tolist()[:-1] == [len(enc.decode_single_token_bytes(i)) for i in range(tok.vocab_size - 1)]
    assert lengths[tok.bos_id] == 0
    text = "And God said, Let there be light: naïve 😀"
    assert int(lengths[tok.encode(text)].sum()) == len(text.encode("utf-8"))  # the bits-per-byte denominator


# ---- 0.4 files are checked at load, errors name the file and the fix -------------------------------
@pytest.mark.commit("0.4")
def test_shards_with_an_id_past_the_vocab_are_refused_at_load_naming_the_shard(tmp_path):
    write_shards(tokenizer(), docs(), tmp_path, shard_tokens=16, val_fraction=0)
    shard = tmp_path / "train_000001.bin"
    raw = bytearray(shard.read_bytes())
    raw[6:8] = (tokenizer().vocab_size).to_bytes(2, "little")  # one id == vocab_size: out of range
    shard.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=f"train_000001.bin holds token id {tokenizer().vocab_size}"):
        TokenDataset(tmp_path)


@pytest.mark.commit("0.4")
def test_meta_json_that_is_invalid_has_an_unknown_dtype_or_another_vocab_is_refused_naming_it(tmp_path):
    write_shards(tokenizer(), docs(), tmp_path, val_fraction=0)
    meta_path = tmp_path / "meta.json"
    meta = json.loads(meta_path.read_text())
    TokenDataset(tmp_path, vocab_size=tokenizer().vocab_size)  # the matching vocab loads
    with pytest.raises(ValueError, match="another tokenizer"):
        TokenDataset(tmp_path, vocab_size=tokenizer().vocab_size + 1)
    for bad, message in [("{not json", "not valid JSON"), (json.dumps(meta | {"dtype": "float32"}), "dtype"),
                         (json.dumps(meta | {"dtype": "uint16", "vocab_size": 70_000}), "cannot hold"),
                         (json.dumps(meta | {"bos_id": 10**6}), "bos_id")]:
        meta_path.write_text(bad)
        with pytest.raises(ValueError, match=message) as err:
            TokenDataset(tmp_path)
        assert str(meta_path) in str(err.value)


@pytest.mark.commit("0.4")
def test_too_little_text_says_which_split_and_what_helps(tmp_path):
    write_shards(tokenizer(), docs()[:3], tmp_path, val_fraction=0.1)
    with pytest.raises(ValueError, match="validation split .* every 10th document .* 3 document") as err:
        TokenDataset(tmp_path, "val")
    assert "more text" in str(err.value)
    write_shards(tokenizer(), docs(), tmp_path, val_fraction=0.1)
    train, val = TokenDataset(tmp_path, "train"), TokenDataset(tmp_path, "val")
    SequentialLoader(train, 2, 64)  # 282 train tokens: enough for 2 windows of 64 ...
    with pytest.raises(ValueError, match="validation split .* lower block_size") as err:
        SequentialLoader(val, 2, 64)  # ... the 2 val documents' 102 tokens are not
    assert "val_fraction" in str(err.value)
    with pytest.raises(ValueError, match="training split .* use more text"):
        get_batch(train, 1, len(train))


@pytest.mark.commit("0.4")
def test_write_shards_that_fails_leaves_no_temp_no_shard_and_no_empty_folder(tmp_path):
    class Failing:  # encodes 3 documents, then the disk is "full"
        vocab_size, bos_id, calls = 300, 299, 0

        def encode_ordinary(self, text):
            self.calls += 1
            if self.calls > 3:
                raise OSError(28, "No space left on device")
            return [1, 2, 3] * 5

    out = tmp_path / "new" / "data"
    with pytest.raises(OSError, match="No space"):
        write_shards(Failing(), docs(), out, shard_tokens=8)
    assert not out.exists()  # it made the folder, so it removes it
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine")
    with pytest.raises(OSError, match="No space"):
        write_shards(Failing(), docs(), kept, shard_tokens=8)
    assert [p.name for p in kept.iterdir()] == ["notes.txt"]  # our shards and temps gone, the user's file kept
