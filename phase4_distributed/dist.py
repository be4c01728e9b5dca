"""Commit 4.1 — process groups with torchrun: who am I, which device, who may write.

`torchrun --nproc_per_node=N script.py` starts N copies of the same program and tells
each copy who it is through environment variables:

    RANK        this process's id among all processes (0 .. WORLD_SIZE-1)
    LOCAL_RANK  its id on this machine: which GPU it drives
    WORLD_SIZE  how many processes take part
    MASTER_ADDR / MASTER_PORT   where they meet (the rendezvous store)

`init_distributed()` turns those into a process group: NCCL when there are GPUs (it
moves tensors GPU-to-GPU over NVLink/InfiniBand), gloo on CPU (TCP, works anywhere,
what the tests use). Everything after that is the same program on every rank, except
what *rank 0 owns*: printing, logging, writing checkpoints (ADR 018; phase 2's
Trainer writes only when rank == 0). A checkpoint
written by every rank at once is at best wasted I/O, at worst a corrupt file.

Only what the stack uses lives here: init_distributed and teardown (phase 4's entry),
print0 (its log), all_reduce_mean (the trainer's validation loss, averaged over
ranks), barrier, and run_local for the tests.

`run_local(fn, world_size)` is what torchrun does, in a few lines, for tests and
notebooks: fork N processes, set the same environment, run `fn`, collect results,
and kill everything if one rank fails or the whole thing runs past its time limit.
"""

from __future__ import annotations

import datetime
import os
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist

from phase2_training.device import pick_device


@dataclass(frozen=True)
class DistContext:
    """Who this process is. Single-process runs get rank 0 of a world of 1 (no process group)."""
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")
    backend: str | None = None

    @property
    def is_distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_rank0(self) -> bool:
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name}={value!r} is not an integer; torchrun sets it for you: "
                         "launch with `torchrun --nproc_per_node=N ...`") from None


def init_distributed(backend: str | None = None, device: str | torch.device | None = None,
                     init_method: str | None = None, timeout_s: float = 600.0) -> DistContext:
    """Join the process group torchrun described in the environment and return this rank's DistContext.

    WORLD_SIZE unset or 1 -> a single-process context, no process group. Calling it again
    returns the same context (idempotent). backend: "nccl" when CUDA is available, else "gloo".
    """
    world = _env_int("WORLD_SIZE", 1)
    rank, local_rank = _env_int("RANK", 0), _env_int("LOCAL_RANK", 0)
    if not 0 <= rank < world:
        raise ValueError(f"RANK={rank} is outside WORLD_SIZE={world}: launch with torchrun, not by hand")
    if dist.is_available() and dist.is_initialized():  # second call: describe the existing group
        backend = dist.get_backend()
        rank, world = dist.get_rank(), dist.get_world_size()
    elif world == 1:
        return DistContext(device=pick_device(str(device) if device is not None else "auto"))
    else:
        if not dist.is_available():
            raise RuntimeError("this PyTorch build has no torch.distributed; install a standard torch wheel")
        backend = backend or ("nccl" if torch.cuda.is_available() else "gloo")
    if backend == "nccl":
        if local_rank >= torch.cuda.device_count():
            raise RuntimeError(f"LOCAL_RANK={local_rank} but only {torch.cuda.device_count()} GPUs are visible: "
                               "use --nproc_per_node <= the number of GPUs")
        dev = torch.device("cuda", local_rank)
        torch.cuda.set_device(dev)  # before init: NCCL binds each rank to its own GPU
    else:
        dev = torch.device(device) if device is not None else torch.device("cpu")
    if not dist.is_initialized():
        kwargs = {"device_id": dev} if backend == "nccl" else {}
        dist.init_process_group(backend=backend, init_method=init_method, rank=rank, world_size=world,
                                timeout=datetime.timedelta(seconds=timeout_s), **kwargs)
    return DistContext(rank=rank, local_rank=local_rank, world_size=world, device=dev, backend=backend)


def teardown() -> None:
    """Leave the process group; safe to call twice or when there never was one."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def get_rank() -> int:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank()
    return _env_int("RANK", 0)  # before init, torchrun's environment already knows


def get_world_size() -> int:
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size()
    return _env_int("WORLD_SIZE", 1)


def is_rank0() -> bool:
    return get_rank() == 0


def print0(*args, **kwargs) -> None:
    """print() on rank 0 only: N ranks printing the same line is noise, not information."""
    if is_rank0():
        print(*args, **{"flush": True, **kwargs})


def barrier() -> None:
    """Wait for every rank (no-op in a single process)."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def all_reduce_mean(value: float | torch.Tensor) -> float:
    """The mean of a scalar over ranks (e.g. the loss to log); the value itself when single-process."""
    if not (dist.is_available() and dist.is_initialized()):
        return float(value)
    device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else "cpu"
    t = torch.as_tensor(value, dtype=torch.float64, device=device).detach().clone().reshape(())
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.item() / dist.get_world_size()


# ----------------------------------------------------------------------------- run_local: torchrun in-process

def _child(fn: Callable, rank: int, world_size: int, backend: str, store: str, out: Path, args: tuple) -> None:
    code = 1
    try:
        os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world_size))
        torch.set_num_threads(1)  # N ranks share the cores: one thread each, no oversubscription
        try:
            ctx = init_distributed(backend=backend, init_method=f"file://{store}", timeout_s=120)
        except RuntimeError:
            (out / f"rank{rank}.init_failed").touch()  # the transport, not fn: run_local may try again
            raise
        result = fn(ctx, *args)
        torch.save(result, out / f"rank{rank}.pt")
        teardown()
        code = 0
    except BaseException:
        (out / f"rank{rank}.err").write_text(traceback.format_exc())
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)  # skip the parent's atexit hooks (pytest's, for one) inherited through fork


def run_local(fn: Callable, world_size: int = 2, args: tuple = (), backend: str = "gloo",
              timeout_s: float = 60.0) -> list:
    """Run fn(ctx, *args) on `world_size` forked ranks with gloo; return each rank's result, in rank order.

    Forking (not spawning) means fn and args need no pickling and the children reuse the
    parent's imported modules, so a launch costs milliseconds. A failing rank raises here
    with its traceback; on failure or timeout every child is killed. If the process group
    itself fails to start (gloo's TCP mesh on a busy machine), fn never ran: try again, 3 times.
    """
    for attempt in range(3):
        try:
            return _run_local_once(fn, world_size, args, backend, timeout_s)
        except _InitFailed as e:  # gloo's TCP mesh can fail to connect on a busy machine: fn never ran
            if attempt == 2:
                raise RuntimeError(f"the process group did not start three times:\n{e}") from None


class _InitFailed(RuntimeError):
    """A rank failed inside init_process_group (before fn ran)."""


def _run_local_once(fn: Callable, world_size: int, args: tuple, backend: str, timeout_s: float) -> list:
    import gc
    import multiprocessing as mp
    gc.collect()  # free the parent's garbage HERE: a child running its finalizers after fork can deadlock
    ctx = mp.get_context("fork")
    with tempfile.TemporaryDirectory(prefix="mnc-dist-") as tmp:
        out = Path(tmp)
        store = out / "store"  # a file store: no ports to pick, no clash between parallel tests
        procs = [ctx.Process(target=_child, args=(fn, r, world_size, backend, str(store), out, args), daemon=True)
                 for r in range(world_size)]
        for p in procs:
            p.start()
        deadline = time.monotonic() + timeout_s
        try:
            while any(p.is_alive() for p in procs):
                failed = [r for r, p in enumerate(procs) if p.exitcode not in (None, 0)]
                if failed or time.monotonic() > deadline:
                    break
                time.sleep(0.01)
        finally:
            for p in procs:  # whoever is still running: a hung collective, or the peers of a failed rank
                if p.is_alive():
                    os.kill(p.pid, signal.SIGKILL)
                p.join()
        errors = [f"rank {r}:\n{(out / f'rank{r}.err').read_text()}" for r in range(world_size)
                  if (out / f"rank{r}.err").exists()]
        if errors and list(out.glob("rank*.init_failed")):
            raise _InitFailed("\n".join(errors))
        if errors:
            raise RuntimeError("a rank failed:\n" + "\n".join(errors))
        missing = [r for r in range(world_size) if not (out / f"rank{r}.pt").exists()]
        if missing:
            raise TimeoutError(f"ranks {missing} gave no result within {timeout_s:g} s (a collective that "
                               "only some ranks call hangs the others: is every rank running the same steps?)")
        # weights_only: results are tensors and plain containers (the project never unpickles code)
        return [torch.load(out / f"rank{r}.pt", weights_only=True) for r in range(world_size)]
