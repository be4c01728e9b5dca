r"""Show what a trained GPT attends to: a heatmap PNG and a terminal view of one head, or a grid of all heads.

    python tools/visualizer/show_attention.py --checkpoint checkpoints/phase1.pt \
        --prompt "The cat sat on the" --layer 2 --head 0
    python tools/visualizer/show_attention.py --checkpoint checkpoints/phase1.pt \
        --prompt "In the beginning" --layer 0 --all-heads

Row i of the picture is query token i; column j is how much of token i's
attention goes to key token j: softmax(q_i . k_j / sqrt(d)) over j <= i
(Vaswani et al. 2017, eq. 1, with the causal mask of a decoder). Each row sums
to 1, and everything above the diagonal is 0: a token never sees the future.
Patterns to look for: a bright diagonal (attend to yourself), the first
sub-diagonal (the previous token: the first half of an induction head), a bright
first column (the "attention sink" on the first token), vertical stripes
(every token reading one salient word).

The weights come from `GPT.get_attention_weights(idx, layer)`, which recomputes
the layer's softmax with the from-scratch attention of commit 1.2; the fast
SDPA kernel used in training never materialises them. PNGs are written with
matplotlib's Agg backend (no display needed), by default to
runs/attention/layer{L}_head{H}.png (runs/attention/layer{L}_all_heads.png).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the course packages importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import torch  # noqa: E402

from tools.visualizer.loading import VisualizerError, load_model_and_tokenizer  # noqa: E402

SHADES = " ░▒▓█"  # 0 .. 1 in five steps


def token_labels(tokenizer, ids: list[int]) -> list[str]:
    """One short printable label per token: its own bytes, whitespace made visible, partial UTF-8 as \\xNN."""
    special = {i: s for s, i in tokenizer.special_tokens.items()}
    labels = []
    for i in ids:
        text = special.get(i) or tokenizer.vocab[i].decode("utf-8", errors="backslashreplace")
        labels.append(text.replace(" ", "·").replace("\n", "↵").replace("\t", "⇥") or "∅")
    return labels


def attention_weights(model, ids: list[int], layer: int) -> torch.Tensor:
    """(n_head, T, T) attention of `layer` for the token ids; clear errors for a bad layer or prompt."""
    n_layer, block = model.config.n_layer, model.config.block_size
    if not 0 <= layer < n_layer:
        raise VisualizerError(f"--layer {layer} is out of range: this model has {n_layer} layers, "
                              f"use 0..{n_layer - 1}")
    if not ids:
        raise VisualizerError("the prompt encodes to no tokens: give a non-empty --prompt")
    if len(ids) > block:
        raise VisualizerError(f"the prompt is {len(ids)} tokens but the model's block_size is {block}: "
                              "shorten the --prompt")
    idx = torch.tensor([ids], dtype=torch.long)
    with torch.no_grad():
        att = model.get_attention_weights(idx, layer)
    return att[0] if att.dim() == 4 else att  # accept (1, H, T, T) or (H, T, T)


def check_head(head: int, n_head: int) -> None:
    if not 0 <= head < n_head:
        raise VisualizerError(f"--head {head} is out of range: this model has {n_head} heads per layer, "
                              f"use 0..{n_head - 1} (or --all-heads)")


def render_terminal(att: torch.Tensor, labels: list[str], width: int = 10) -> str:
    """A text heatmap of one head: a shade per weight, each row's strongest key on the right.

    Rows are queries, columns keys (numbered; the legend maps numbers to tokens)."""
    T = len(labels)
    short = [lab if len(lab) <= width else lab[: width - 1] + "…" for lab in labels]
    head = " " * (width + 5) + "".join(f"{j:<2}" for j in range(T))
    legend = "  ".join(f"'{s}' {k / (len(SHADES) - 1):g}" for k, s in enumerate(SHADES))
    lines = [f"columns: key tokens 0..{T - 1}; shade = weight: {legend}", head]
    for i in range(T):
        row = att[i]
        cells = "".join(SHADES[min(len(SHADES) - 1, int(w * (len(SHADES) - 1) + 0.5))] * 2 for w in row[: i + 1])
        top = int(row.argmax())
        lines.append(f"{i:>3} {short[i]:>{width}} {cells:<{2 * T}}  → {top}:{short[top]} {float(row[top]):.2f}")
    return "\n".join(lines)


def _draw(ax, att: torch.Tensor, labels: list[str], title: str, xlabel: bool = True, ylabel: bool = True):
    import matplotlib
    import numpy as np

    T = len(labels)
    future = np.triu(np.ones((T, T), dtype=bool), k=1)  # the causal mask: drawn grey, not as a 0 weight
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#dddddd")
    im = ax.imshow(np.ma.masked_array(att.float().numpy(), future), cmap=cmap, vmin=0.0, vmax=1.0,
                   interpolation="nearest")
    ax.set_title(title, fontsize=9)
    ax.set_xticks(range(T), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(T), labels, fontsize=7)
    if xlabel:
        ax.set_xlabel("key (attended to)", fontsize=8)
    if ylabel:
        ax.set_ylabel("query (attending)", fontsize=8)
    return im


def save_heatmap(att: torch.Tensor, labels: list[str], out: Path, title: str) -> Path:
    """One head (T, T) as a PNG with token labels on both axes."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    size = max(4.0, 0.35 * len(labels) + 2.5)
    fig, ax = plt.subplots(figsize=(size + 1.0, size), layout="constrained")
    im = _draw(ax, att, labels, title)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04, label="attention weight (grey: future, masked)")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out


def save_grid(att: torch.Tensor, labels: list[str], out: Path, title: str) -> Path:
    """Every head of a layer (H, T, T) in one PNG, a grid of heatmaps."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = att.size(0)
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    cell = max(3.0, 0.25 * len(labels) + 1.5)
    fig, axes = plt.subplots(rows, cols, figsize=(cols * cell + 1.0, rows * cell + 0.5), squeeze=False,
                             layout="constrained")
    for h, ax in enumerate(axes.flat):
        if h < n:  # axis titles on the outer edge only, so neighbours do not overlap
            im = _draw(ax, att[h], labels, f"head {h}", xlabel=h // cols == rows - 1 or h + cols >= n,
                       ylabel=h % cols == 0)
        else:
            ax.axis("off")
    fig.suptitle(title)
    fig.colorbar(im, ax=axes, fraction=0.02, pad=0.02, label="attention weight (grey: future, masked)")
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Heatmap of a trained GPT's attention for one prompt.")
    p.add_argument("--checkpoint", default="checkpoints/phase1.pt", help="a phase-1 checkpoint (.pt)")
    p.add_argument("--prompt", default="The cat sat on the", help="text to run through the model")
    p.add_argument("--layer", type=int, default=0, help="layer index, 0-based")
    p.add_argument("--head", type=int, default=0, help="head index, 0-based")
    p.add_argument("--all-heads", action="store_true", help="every head of --layer in one grid")
    p.add_argument("--tokenizer", default=None, help="tokenizer file, if the checkpoint's reference is stale")
    p.add_argument("--out", default=None, help="PNG path (default runs/attention/layer{L}_head{H}.png)")
    p.add_argument("--no-terminal", action="store_true", help="write the PNG only")
    args = p.parse_args(argv)
    try:
        model, tokenizer = load_model_and_tokenizer(args.checkpoint, args.tokenizer)
        ids = tokenizer.encode(args.prompt)
        att = attention_weights(model, ids, args.layer)
        if not args.all_heads:
            check_head(args.head, att.size(0))
    except VisualizerError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    labels = token_labels(tokenizer, ids)
    name = Path(args.checkpoint).name
    if args.all_heads:
        out = Path(args.out or f"runs/attention/layer{args.layer}_all_heads.png")
        save_grid(att, labels, out, f"{name}: layer {args.layer}, all {att.size(0)} heads")
        heads = range(att.size(0))
    else:
        out = Path(args.out or f"runs/attention/layer{args.layer}_head{args.head}.png")
        save_heatmap(att[args.head], labels, out, f"{name}: layer {args.layer}, head {args.head}")
        heads = [args.head]
    if not args.no_terminal:
        tokens = " ".join(f"{i}:{lab}" for i, lab in enumerate(labels))
        print(f"prompt: {args.prompt!r} -> {len(ids)} tokens: {tokens}")
        for h in heads:
            print(f"\nlayer {args.layer}, head {h}  (rows: query tokens; shade: weight on each earlier key)")
            print(render_terminal(att[h], labels))
    print(f"\nwrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
