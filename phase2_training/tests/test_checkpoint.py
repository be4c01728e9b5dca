"""Commit 2.4: atomic checkpoint files, safe loading, and a real process killed mid-save.

The atomic write itself is phase 0's (phase0_tokenizer/atomic.py, tested there too); these tests
check that checkpoints go through it, through atomic_save, with torch.save as the serialiser."""

import os
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest
import torch

from phase2_training.checkpoint import REQUIRED


def _state(step, fill=0.0, size=4):
    return {"step": step, "model": {"w": torch.full((size,), fill)}, "optimizer": {}, "rng": {}, "loader": {},
            "train_config": {}, "model_config": {}, "tokenizer": {}}


@pytest.mark.commit("2.4")
def test_atomic_save_round_trips_and_leaves_no_temp_file(impl, tmp_path):
    ckpt = impl("phase2_training.checkpoint")
    path = tmp_path / "a" / "step_000001.pt"   # the folder does not exist yet
    ckpt.atomic_save({"w": torch.arange(5.0), "step": 1}, path)
    loaded = torch.load(path, weights_only=True)
    assert torch.equal(loaded["w"], torch.arange(5.0)) and loaded["step"] == 1
    assert [p.name for p in path.parent.iterdir()] == [path.name]


@pytest.mark.commit("2.4")
def test_failed_save_keeps_the_previous_file_intact(impl, tmp_path, monkeypatch):
    ckpt = impl("phase2_training.checkpoint")
    path = tmp_path / "step_000001.pt"
    ckpt.atomic_save({"version": 1}, path)
    real_save = torch.save

    def crash_halfway(obj, f, *args, **kwargs):  # write some bytes, then die like a full disk or a kill would
        real_save(obj, f, *args, **kwargs)
        (f if hasattr(f, "truncate") else open(f, "r+b")).truncate(10)
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash_halfway)
    with pytest.raises(OSError):
        ckpt.atomic_save({"version": 2}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True) == {"version": 1}


def _record_file_system(monkeypatch, system_tmp):
    """Spy on os.fsync / os.replace / os.rename (shutil.move renames first) and point the system temp
    folder at `system_tmp`, outside the checkpoint folder. Returns the list the spies append to:
    ("fsync", inode, size, is_regular_file) and ("rename", src, dst, inode of src)."""
    events, real = [], {name: getattr(os, name) for name in ("fsync", "replace", "rename")}

    def fsync(fd):
        st = os.fstat(fd)
        events.append(("fsync", st.st_ino, st.st_size, stat.S_ISREG(st.st_mode)))
        return real["fsync"](fd)

    def renamer(name):
        def rename(src, dst, *args, **kwargs):
            events.append(("rename", Path(src).resolve(), Path(dst).resolve(), os.stat(src).st_ino))
            return real[name](src, dst, *args, **kwargs)
        return rename

    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", renamer("replace"))
    monkeypatch.setattr(os, "rename", renamer("rename"))
    # Path.replace / Path.rename call os.replace / os.rename from Python 3.11 on; make 3.10 do the same
    monkeypatch.setattr(Path, "replace", lambda self, target: (os.replace(self, target), Path(target))[1])
    monkeypatch.setattr(Path, "rename", lambda self, target: (os.rename(self, target), Path(target))[1])
    return events


@pytest.mark.commit("2.4")
def test_atomic_save_fsyncs_the_whole_temp_file_then_renames_it_within_the_folder(impl, tmp_path, monkeypatch):
    ckpt = impl("phase2_training.checkpoint")
    path = tmp_path / "run" / "step_000002.pt"
    events = _record_file_system(monkeypatch, tmp_path / "system-tmp")
    ckpt.atomic_save(_state(2, fill=1.0, size=1000), path)
    monkeypatch.undo()
    renames = [e for e in events if e[0] == "rename"]
    assert renames, "no os.replace onto the checkpoint: a reader could see it half-written"
    _, src, dst, inode = renames[-1]
    assert dst == path.resolve(), f"the last rename goes to {dst}, not to the checkpoint"
    assert src.parent == path.parent.resolve(), (
        f"the temp file was {src}, outside {path.parent}: a rename across folders (or file systems) is a copy")
    before = events[:events.index(renames[-1])]
    synced = [e for e in before if e[0] == "fsync" and e[3] and e[1] == inode]
    assert synced, "the temp file was never fsync'ed before the rename: a power cut can leave an empty checkpoint"
    assert synced[-1][2] == path.stat().st_size, "fsync ran before every byte was written (flush first)"
    assert torch.equal(torch.load(path, weights_only=True)["model"]["w"], torch.full((1000,), 1.0))


@pytest.mark.commit("2.4")
def test_failed_save_removes_its_temp_file_wherever_it_was(impl, tmp_path, monkeypatch):
    ckpt = impl("phase2_training.checkpoint")
    folder, system_tmp = tmp_path / "ckpt", tmp_path / "system-tmp"
    path = folder / "step_000001.pt"
    ckpt.atomic_save({"version": 1}, path)
    _record_file_system(monkeypatch, system_tmp)
    real_save = torch.save

    def crash_after_writing(obj, f, *args, **kwargs):  # the bytes are out, then the serialiser fails
        real_save(obj, f, *args, **kwargs)
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", crash_after_writing)
    with pytest.raises(OSError, match="disk full"):
        ckpt.atomic_save({"version": 2}, path)
    monkeypatch.undo()
    assert sorted(p.name for p in folder.iterdir()) == [path.name], "a temp file was left next to the checkpoint"
    assert list(system_tmp.iterdir()) == [], "a temp file was left in the system temp folder"
    assert torch.load(path, weights_only=True) == {"version": 1}


@pytest.mark.commit("2.4")
def test_while_the_new_checkpoint_is_written_the_target_still_holds_the_old_one(impl, tmp_path, monkeypatch):
    ckpt = impl("phase2_training.checkpoint")
    path = tmp_path / "step_000003.pt"
    assert ckpt.atomic_save({"version": 1}, path) == path
    real_save, seen = torch.save, []

    def watching_save(obj, f, *args, **kwargs):
        if not path.exists():
            seen.append("no file")
        else:
            seen.append(torch.load(path, weights_only=True) if path.stat().st_size else "an empty file")
        return real_save(obj, f, *args, **kwargs)

    monkeypatch.setattr(torch, "save", watching_save)
    ckpt.atomic_save({"version": 2}, path)
    monkeypatch.undo()
    assert seen == [{"version": 1}], f"during the save a reader of {path.name} found {seen}"
    assert torch.load(path, weights_only=True) == {"version": 2}


@pytest.mark.commit("2.4")
def test_save_checkpoint_keeps_only_the_newest_and_loads_weights_only(tmp_path):
    from phase2_training.checkpoint import latest_checkpoint, list_checkpoints, load_checkpoint, save_checkpoint
    for step in (10, 20, 30):
        save_checkpoint(tmp_path, _state(step, fill=step), keep=2)
    assert [s for s, _ in list_checkpoints(tmp_path)] == [20, 30]
    state = load_checkpoint(latest_checkpoint(tmp_path))
    assert state["step"] == 30 and state["model"]["w"][0].item() == 30.0
    assert load_checkpoint(tmp_path)["step"] == 30                     # a folder means its newest checkpoint
    assert set(REQUIRED) <= set(state)


@pytest.mark.commit("2.4")
def test_load_refuses_corrupt_foreign_and_code_carrying_files(tmp_path):
    from phase2_training.checkpoint import CheckpointError, load_checkpoint
    (tmp_path / "step_000001.pt").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(tmp_path / "step_000001.pt")
    torch.save({"model_config": {}, "model": {}}, tmp_path / "gpt.pt")
    with pytest.raises(CheckpointError, match="not a"):
        load_checkpoint(tmp_path / "gpt.pt")
    torch.save({"format": "x", "evil": _Gadget()}, tmp_path / "evil.pt")  # weights_only refuses the class
    with pytest.raises(CheckpointError, match="corrupt"):
        load_checkpoint(tmp_path / "evil.pt")
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path / "missing.pt")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CheckpointError, match="train first"):
        load_checkpoint(tmp_path / "empty")


class _Gadget:
    pass


CHILD = textwrap.dedent("""
    import sys, torch
    from phase2_training.checkpoint import save_checkpoint
    directory = sys.argv[1]
    big = 2_000_000   # 8 MB per tensor, 4 tensors: a save takes a noticeable moment
    for version in range(1, 10_000):
        state = {"step": 1, "model": {f"w{i}": torch.full((big,), float(version)) for i in range(4)},
                 "optimizer": {}, "rng": {}, "loader": {}, "train_config": {"version": version}, "model_config": {},
                 "tokenizer": {}}
        save_checkpoint(directory, state)
        if version == 1:
            print("first save done", flush=True)
""")


@pytest.mark.commit("2.4")
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX SIGKILL")
def test_kill_during_save_leaves_the_previous_checkpoint_intact(tmp_path):
    """A real child process saves again and again; SIGKILL it while a temp file is being written."""
    from phase2_training.checkpoint import load_checkpoint, remove_stale_temp_files
    for attempt in range(5):
        directory = tmp_path / f"try{attempt}"
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(directory)], stdout=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONPATH": os.getcwd()})
        try:
            assert child.stdout.readline().strip() == "first save done"
            deadline = time.monotonic() + 60
            while not list(directory.glob(".step_*.tmp-*")) and time.monotonic() < deadline:
                time.sleep(0.0005)
            child.send_signal(signal.SIGKILL)  # no cleanup handlers run: like a power cut for this process
            child.wait(timeout=30)
        finally:
            if child.poll() is None:
                child.kill()
            child.stdout.close()
        temps = list(directory.glob(".step_*.tmp-*"))
        if not temps:
            continue  # the save finished between our check and the kill: try again
        state = load_checkpoint(directory / "step_000001.pt")
        version = state["train_config"]["version"]
        assert version >= 1
        assert all(torch.equal(t, torch.full_like(t, float(version))) for t in state["model"].values())
        assert remove_stale_temp_files(directory) == temps
        return
    pytest.fail("never caught the child mid-save in 5 attempts")


@pytest.mark.commit("2.4")
def test_checkpoints_load_onto_the_cpu_whatever_device_wrote_them(tmp_path, monkeypatch):
    """A GPU run's checkpoint resumes anywhere: the loader maps to the CPU, each load moves tensors after.
    (Loading RNG states onto a GPU broke resume on CUDA: NumPy's state cannot live there.)"""
    import numpy as np

    from phase0_tokenizer.data import SequentialLoader
    from phase2_training.checkpoint import load_checkpoint, save_checkpoint
    from phase2_training.resume import capture_run_state, restore_run_state
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.AdamW(model.parameters())
    loader = SequentialLoader(np.arange(100, dtype=np.uint16), batch_size=2, block_size=4)
    save_checkpoint(tmp_path, {**_state(1), **capture_run_state(model, optimizer, loader, 1)})
    seen = {}
    real = torch.load

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    state = load_checkpoint(tmp_path)
    assert seen["map_location"] == "cpu" and seen["weights_only"] is True
    torch.rand(3)
    assert restore_run_state(state, model, optimizer, loader) == 1  # restores from CPU tensors
    assert torch.equal(torch.get_rng_state(), state["rng"]["torch"])
