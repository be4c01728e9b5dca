"""A rich progress bar for training: step, loss, learning rate, tokens/s and time left.

    training ━━━━━━━━━━━━━━━━━━━━━━━━ 420/1000  loss 2.913  lr 2.7e-03  8.1k tok/s  0:00:41 < 0:00:57

Disabled (for tests, CI logs, ranks other than 0), it stays silent except for
print(), so the same loop serves a terminal and a log file.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn


class TrainProgress:
    def __init__(self, total_steps: int, start_step: int = 0, enabled: bool = True):
        self.enabled = enabled
        self.tok_per_s = None
        self.console = Console()
        self.bar = Progress(TextColumn("[bold]training"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("loss {task.fields[loss]}  lr {task.fields[lr]}  {task.fields[speed]} tok/s"),
                            TimeElapsedColumn(), TextColumn("<"), TimeRemainingColumn(),
                            console=self.console, disable=not enabled, refresh_per_second=4)
        self.task = self.bar.add_task("train", total=total_steps, completed=start_step, loss="-", lr="-", speed="-")

    def __enter__(self):
        self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        return self.bar.__exit__(*exc)

    def update(self, step: int, loss: float, lr: float, tok_per_s: float) -> None:
        # an exponential moving average: one slow step (a checkpoint, an eval) should not make the speed jump
        self.tok_per_s = tok_per_s if self.tok_per_s is None else 0.9 * self.tok_per_s + 0.1 * tok_per_s
        if self.enabled:
            speed = f"{self.tok_per_s / 1000:.1f}k" if self.tok_per_s >= 1000 else f"{self.tok_per_s:.0f}"
            self.bar.update(self.task, completed=step, loss=f"{loss:.3f}", lr=f"{lr:.1e}", speed=speed)

    def print(self, message: str) -> None:
        if self.enabled:
            self.bar.console.print(message)
        else:
            print(message, flush=True)
