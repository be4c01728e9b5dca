"""Compare two Python code bases side by side: structure, sizes and architecture features.

    python tools/comparator/compare.py --ours phase1_model/gpt.py --theirs ~/src/nanoGPT/model.py
    python tools/comparator/compare.py --ours phase1_model --theirs ~/src/nanochat/nanochat --markdown

It reads source only (stdlib `ast`; nothing is imported or run), so it works on
any Python file or folder, e.g. a local nanoGPT or nanochat checkout. It prints

  1. sizes: files, lines, classes, functions;
  2. features: RoPE, KV cache, QK-norm, SDPA/flash, soft-cap, GQA, RMSNorm,
     SwiGLU, weight tying... each with the first place it was seen;
  3. definitions: classes and functions matched by name, then by similarity
     (see `inventory.py`), with their sizes, methods one level down.

as rich tables in a terminal, or as markdown tables with `--markdown` (paste
them into docs/comparisons/). Feature detection is evidence, not proof: open
the file:line it names before you quote it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make `tools.comparator` importable from the repo root
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tools.comparator.features import FEATURES  # noqa: E402
from tools.comparator.inventory import DEFAULT_EXCLUDE, Match, Source, load_source, match_definitions  # noqa: E402


def size_rows(ours: Source, theirs: Source) -> list[tuple[str, str, str]]:
    def modules(s: Source) -> int:
        return sum(d.kind == "class" and any("Module" in b for b in d.bases) for d in s.definitions)

    rows = [("files", len(ours.files), len(theirs.files)),
            ("lines", ours.total_lines, theirs.total_lines),
            ("code lines (no blanks/comments)", ours.code_lines, theirs.code_lines),
            ("classes", ours.n_classes, theirs.n_classes),
            ("  of which nn.Module subclasses", modules(ours), modules(theirs)),
            ("functions + methods", ours.n_functions, theirs.n_functions)]
    if ours.errors or theirs.errors:
        rows.append(("files that did not parse", len(ours.errors), len(theirs.errors)))
    return [(name, str(a), str(b)) for name, a, b in rows]


def _feature_cell(src: Source, key: str, markdown: bool) -> str:
    evidence = src.features[key]
    if not evidence:
        return "no" if markdown else "[dim]—[/dim]"
    first = evidence[0]
    where = f"{first.file}:{first.line} `{first.what}`" if markdown else f"{first.file}:{first.line} {first.what}"
    more = f" (+{len(evidence) - 1})" if len(evidence) > 1 else ""
    return f"yes: {where}{more}" if markdown else f"[green]✔[/green] {where}{more}"


def feature_rows(ours: Source, theirs: Source, markdown: bool = False) -> list[tuple[str, str, str]]:
    return [(f.label, _feature_cell(ours, f.key, markdown), _feature_cell(theirs, f.key, markdown))
            for f in FEATURES]


def definition_rows(matches: list[Match], show_files: bool, methods: bool = True, depth: int = 0):
    """Flatten matches into (ours, ours_lines, match, theirs, theirs_lines) rows; methods indented under classes."""
    rows = []
    for m in matches:
        def label(d):
            if d is None:
                return "", ""
            name = ("  ." if depth else "") + d.name + ("()" if d.kind != "class" else "")
            if show_files and not depth:
                name += f"  [{d.file}]"
            return name, str(d.lines)

        (a, an), (b, bn) = label(m.ours), label(m.theirs)
        how = {"name": "=", "similar": f"~{m.score:.2f}"}.get(m.how, "")
        rows.append((a, an, how, b, bn))
        if methods and m.children:
            rows += definition_rows(m.children, show_files, methods, depth + 1)
    return rows


def compare(ours_path: str, theirs_path: str, threshold: float = 0.6,
            exclude=DEFAULT_EXCLUDE) -> tuple[Source, Source, list[Match]]:
    ours, theirs = load_source(ours_path, exclude), load_source(theirs_path, exclude)
    return ours, theirs, match_definitions(ours.definitions, theirs.definitions, threshold)


def _md_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    esc = lambda s: str(s).replace("|", "\\|")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(ours: Source, theirs: Source, matches: list[Match], names=("ours", "theirs"),
                    methods: bool = True) -> str:
    show_files = len(ours.files) > 1 or len(theirs.files) > 1
    a, b = names
    parts = [f"### Sizes\n\n{_md_table(('', a, b), size_rows(ours, theirs))}",
             f"### Features\n\n{_md_table(('feature', a, b), feature_rows(ours, theirs, markdown=True))}",
             "### Definitions (= same name, ~ similarity score)\n\n"
             + _md_table((a, "lines", "match", b, "lines"), definition_rows(matches, show_files, methods))]
    return "\n\n".join(parts) + "\n"


def render_rich(ours: Source, theirs: Source, matches: list[Match], names=("ours", "theirs"),
                methods: bool = True, console=None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    a, b = names
    show_files = len(ours.files) > 1 or len(theirs.files) > 1
    sizes = Table(title="Sizes")
    for col in ("", a, b):
        sizes.add_column(col, justify="right" if col else "left")
    for row in size_rows(ours, theirs):
        sizes.add_row(*row)
    feats = Table(title="Features (first evidence, +N more)")
    for col in ("feature", a, b):
        feats.add_column(col, overflow="fold")
    for row in feature_rows(ours, theirs):
        feats.add_row(*row)
    defs = Table(title="Definitions (= same name, ~ similarity)")
    for col, just in ((a, "left"), ("lines", "right"), ("match", "center"), (b, "left"), ("lines", "right")):
        defs.add_column(col, justify=just, overflow="fold")
    for row in definition_rows(matches, show_files, methods):
        defs.add_row(*row)
    for table in (sizes, feats, defs):
        console.print(table)
    for src in (ours, theirs):
        for err in src.errors:
            console.print(f"[yellow]skipped (syntax error)[/yellow] {err}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="AST-level side-by-side of two Python files or folders.")
    p.add_argument("--ours", required=True, help="a .py file or a folder (e.g. phase1_model/gpt.py)")
    p.add_argument("--theirs", required=True, help="a .py file or a folder (e.g. a nanoGPT checkout's model.py)")
    p.add_argument("--markdown", action="store_true", help="print markdown tables instead of rich tables")
    p.add_argument("--no-methods", action="store_true", help="list classes and functions only, not methods")
    p.add_argument("--threshold", type=float, default=0.6, help="minimum similarity to pair two names (0..1)")
    p.add_argument("--exclude", default=",".join(DEFAULT_EXCLUDE),
                   help="comma-separated sub-folder names to skip in a folder (default: %(default)s; '' = none)")
    p.add_argument("--names", nargs=2, metavar=("OURS", "THEIRS"), help="column titles (default: the paths)")
    args = p.parse_args(argv)
    try:
        exclude = tuple(x for x in args.exclude.split(",") if x)
        ours, theirs, matches = compare(args.ours, args.theirs, args.threshold, exclude)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    names = tuple(args.names) if args.names else (args.ours, args.theirs)
    if args.markdown:
        print(render_markdown(ours, theirs, matches, names, methods=not args.no_methods), end="")
    else:
        render_rich(ours, theirs, matches, names, methods=not args.no_methods)
    return 0


if __name__ == "__main__":
    sys.exit(main())
