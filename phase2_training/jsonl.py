"""Metrics as JSON Lines: one self-describing record per line, appended as training goes.

    {"kind": "train", "step": 10, "loss": 5.12, "lr": 0.0006, "tokens": 20480, "tok_per_s": 8123.4, ...}
    {"kind": "val", "step": 100, "loss": 4.31, "bpb": 1.98}

Append-only text survives a crash (at worst the last line is cut, and readers skip
it), greps and diffs well, and loads with one line of pandas if you want it
(`pd.read_json(path, lines=True)`). On resume from step k the records after k are
dropped first, so the log tells the story of the run that actually continued.
"""

from __future__ import annotations

import json
import math
from pathlib import Path


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no nan/inf; keep them readable
    return value


class MetricsLogger:
    """Append records to a .jsonl file; `resume_step` first drops records logged after that step."""

    def __init__(self, path: str | Path, resume_step: int | None = None):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if resume_step is None:
            self.path.write_text("")
        elif self.path.exists():
            kept = [r for r in read_jsonl(self.path) if r.get("step", 0) <= resume_step]
            self.path.write_text("".join(json.dumps(r) + "\n" for r in kept))
        self._file = open(self.path, "a", encoding="utf-8")

    def log(self, record: dict) -> None:
        self._file.write(json.dumps({k: _clean(v) for k, v in record.items()}) + "\n")
        self._file.flush()  # visible to `tail -f` and to the plotter mid-run

    def close(self) -> None:
        self._file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def read_jsonl(path: str | Path) -> list[dict]:
    """Every complete record of a .jsonl file (a line cut off by a crash is skipped)."""
    records = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
