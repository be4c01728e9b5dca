"""Alternative solution (commit 4.2, gradient_sync): one `yield`, with whatever must surround it
pushed on a contextlib.ExitStack: DDP's no_sync() context, or a callback that switches FSDP2's
sync back on (ExitStack runs it on the way out, also after an error)."""

TARGET = "phase4_distributed.ddp"
COMMIT = "4.2"
EXERCISE = "gradient_sync"


@contextmanager  # noqa: F821 (the module's own import: this file runs inside a copy of phase4_distributed.ddp)
def gradient_sync(model, enabled):
    import contextlib

    from torch.nn.parallel import DistributedDataParallel

    with contextlib.ExitStack() as stack:
        if not enabled and isinstance(model, DistributedDataParallel):
            stack.enter_context(model.no_sync())
        elif not enabled and hasattr(model, "set_requires_gradient_sync"):
            model.set_requires_gradient_sync(False)
            stack.callback(model.set_requires_gradient_sync, True)
        yield
