"""Checkpoint 4's scaling worker: phase4_distributed.scaling's worker, timing the LEARNER's gradient_sync
and wrap_ddp (or the reference, with MNC_IMPL=reference). The course code chooses whose functions run
and passes them in; the stack (phase4_distributed.scaling) never imports the course machinery.

    python -m torch.distributed.run --nproc_per_node=2 -m checkpoints_exercises.phase4.scaling_worker --worker ...
"""

from phase4_distributed import scaling
from tools.impl import current_impl, load_impl

if __name__ == "__main__":
    ddp = load_impl("phase4_distributed.ddp", current_impl(default="learner"))
    scaling.worker(scaling.parse_args(None), grad_sync=ddp.gradient_sync, wrap=ddp.wrap_ddp)
