"""Commit 0.4: the one atomic file write of the course (tokenizer files, shards, checkpoints use it)."""

import os

import pytest

from phase0_tokenizer.atomic import atomic_write, atomic_write_bytes, atomic_write_text, temp_path


@pytest.mark.commit("0.4")
def test_atomic_write_creates_the_folder_and_leaves_only_the_file(tmp_path):
    path = tmp_path / "new" / "meta.json"
    atomic_write_text(path, "héllo")
    assert path.read_text(encoding="utf-8") == "héllo"
    assert os.listdir(path.parent) == ["meta.json"]  # no temporary file left behind


@pytest.mark.commit("0.4")
def test_a_failed_write_keeps_the_old_file_and_removes_the_temporary_one(tmp_path):
    path = tmp_path / "shard.bin"
    atomic_write_bytes(path, b"old")

    def half_then_crash(f):
        f.write(b"ne")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, half_then_crash)
    assert path.read_bytes() == b"old"
    assert not temp_path(path).exists() and os.listdir(tmp_path) == ["shard.bin"]


@pytest.mark.commit("0.4")
def test_the_bytes_and_the_rename_are_fsynced(tmp_path, monkeypatch):
    synced = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd))[1])
    atomic_write_bytes(tmp_path / "f", b"x")
    assert len(synced) == 2  # the file's bytes, then the directory entry
