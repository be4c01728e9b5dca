"""Loss curves from a run's metrics.jsonl, as a PNG:

    python -m phase2_training.plot runs/tiny/metrics.jsonl              # writes runs/tiny/loss.png
    python -m phase2_training.plot runs/tiny/metrics.jsonl --out a.png --baseline 2.29

Left: train loss (every logged step) and val loss (every eval) in nats per token,
log-scaled steps hide nothing at the start. Right: val bits per byte, with an
optional baseline (the unigram model of the demo report) to beat.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from phase2_training.jsonl import read_jsonl


def plot_metrics(jsonl: str | Path, png: str | Path, baseline_bpb: float | None = None,
                 title: str | None = None) -> Path:
    import matplotlib
    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    records = read_jsonl(jsonl)
    train = [(r["step"], r["loss"]) for r in records if r.get("kind") == "train" and isinstance(r.get("loss"), float)]
    val = [(r["step"], r["loss"], r.get("bpb")) for r in records if r.get("kind") == "val"]
    if not train and not val:
        raise ValueError(f"{jsonl} holds no train or val records: nothing to plot")
    fig, (ax_loss, ax_bpb) = plt.subplots(1, 2, figsize=(11, 4))
    if train:
        ax_loss.plot(*zip(*train), label="train", lw=1, alpha=0.8)
    if val:
        ax_loss.plot([v[0] for v in val], [v[1] for v in val], "o-", label="val", ms=3)
        bpb = [(v[0], v[2]) for v in val if v[2] is not None]
        if bpb:
            ax_bpb.plot(*zip(*bpb), "o-", color="C1", ms=3, label="val bits/byte")
    if baseline_bpb is not None:
        ax_bpb.axhline(baseline_bpb, color="gray", ls="--", label=f"unigram baseline {baseline_bpb:.3f}")
    ax_loss.set(xlabel="step", ylabel="loss (nats / token)", title=title or "loss")
    ax_bpb.set(xlabel="step", ylabel="bits per byte", title="validation bits per byte")
    for ax in (ax_loss, ax_bpb):
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    fig.tight_layout()
    png = Path(png)
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    plt.close(fig)
    return png


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Plot a run's metrics.jsonl as a loss-curve PNG.")
    parser.add_argument("jsonl", help="e.g. runs/tiny/metrics.jsonl")
    parser.add_argument("--out", default=None, help="PNG path (default: loss.png next to the log)")
    parser.add_argument("--baseline", type=float, default=None, help="a bits-per-byte line to draw")
    args = parser.parse_args(argv)
    if not Path(args.jsonl).is_file():
        print(f"error: no such file {args.jsonl}: train first (python -m phase2_training.train ...)", file=sys.stderr)
        return 1
    out = plot_metrics(args.jsonl, args.out or Path(args.jsonl).with_name("loss.png"), args.baseline)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
