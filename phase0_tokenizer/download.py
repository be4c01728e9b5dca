"""Download a file once: cached, resumable, checksummed, atomic (stdlib urllib only).

Commit 0.1 needs text, and the big corpora live on the internet. Four properties make
a download safe to put under a training run:

- cached: if the final file already exists (and matches its checksum) nothing is fetched;
- resumable: bytes go to `<dest>.part`; a second call asks the server for the rest
  with an HTTP `Range: bytes=N-` header (RFC 9110, section 14) instead of starting over;
- checksummed: the sha256 of every byte is checked before the file gets its final name,
  so a corrupted or changed upstream file is an error, never a silently different corpus;
- atomic: the `.part` file is renamed with `os.replace` only once verified, so `dest`
  either does not exist or is complete. A crash never leaves a half-written `dest`.

With no network you get a `DownloadError` that says where to copy the file by hand.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import urllib.error
import urllib.request
from pathlib import Path

USER_AGENT = "mini-nanochat/0.1 (python urllib)"


class DownloadError(RuntimeError):
    """A download that could not complete; the message says what to do next."""


def sha256_file(path: str | Path, chunk_size: int = 1 << 20) -> str:
    """Hex sha256 of a file, read in chunks so a 100 MB shard never sits in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def _progress_bar(enabled: bool | None, total: int | None, description: str):
    """A rich progress bar when asked for (default: only on an interactive terminal), else None."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    try:
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
    except ImportError:  # rich is optional here: no bar, same download
        return None
    bar = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                   transient=True)
    bar.start()
    return bar, bar.add_task(description, total=total)


def download(url: str, dest: str | Path, sha256: str | None = None, *, size: int | None = None,
             timeout: float = 30.0, progress: bool | None = None, chunk_size: int = 1 << 16) -> Path:
    """Fetch `url` to `dest` unless it is already there; return `dest`.

    sha256: expected hex digest (None: not checked here; see corpus.py for pinning on first use).
    size:   expected size in bytes, checked before hashing (a short file means "resume", not "corrupt").
    progress: show a rich progress bar (None: only when stderr is a terminal).
    """
    dest = Path(dest)
    if dest.exists():
        if sha256 is not None and (actual := sha256_file(dest)) != sha256:
            raise DownloadError(f"{dest} exists but its sha256 is {actual}, expected {sha256}: "
                                "delete it and run again to download a fresh copy")
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    if size is not None and offset > size:  # not a prefix of the file we want: start over
        part.unlink()
        offset = 0
    hasher = hashlib.sha256()
    if offset:  # resuming: the bytes already on disk are part of the digest
        with open(part, "rb") as f:
            while chunk := f.read(1 << 20):
                hasher.update(chunk)

    if size is None or offset < size:
        headers = {"User-Agent": USER_AGENT}
        if offset:
            headers["Range"] = f"bytes={offset}-"
        try:
            response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
        except urllib.error.HTTPError as e:
            if not (e.code == 416 and offset):  # 416 on a resume: the .part already holds every byte
                raise DownloadError(f"{url}: HTTP {e.code} {e.reason}; check the URL or try again later") from e
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise DownloadError(f"no network: could not reach {url} ({reason}). Copy the file to {dest} "
                                "by hand and run again") from e
        else:
            with response:
                if offset and response.status != 206:  # the server ignored Range: start over
                    offset, hasher = 0, hashlib.sha256()
                length = response.headers.get("Content-Length")
                expected = int(length) if length is not None else None
                total = offset + expected if expected is not None else size
                bar = _progress_bar(progress, total, dest.name)
                received = 0
                try:
                    with open(part, "ab" if offset else "wb") as f:
                        if bar:
                            bar[0].update(bar[1], completed=offset)
                        while chunk := response.read(chunk_size):
                            f.write(chunk)
                            hasher.update(chunk)
                            received += len(chunk)
                            if bar:
                                bar[0].advance(bar[1], len(chunk))
                except (OSError, http.client.HTTPException) as e:
                    raise DownloadError(f"download of {url} interrupted after {offset + received} bytes ({e}); "
                                        f"run again to resume from {part}") from e
                finally:
                    if bar:
                        bar[0].stop()
                # http.client returns b"" (no exception) when a server hangs up early: count ourselves.
                if expected is not None and received < expected:
                    raise DownloadError(f"download of {url} interrupted: got {received} of {expected} bytes; "
                                        f"run again to resume from {part}")

    got = part.stat().st_size
    if size is not None and got != size:
        if got < size:
            raise DownloadError(f"{part} holds {got} of {size} bytes; run again to resume")
        part.unlink()
        raise DownloadError(f"{url} sent {got} bytes, expected {size}: the file changed upstream; "
                            "the partial file was deleted")
    digest = hasher.hexdigest()
    if sha256 is not None and digest != sha256:
        part.unlink()  # never keep bytes we know are wrong, or a resume would append to them
        raise DownloadError(f"checksum mismatch for {url}: expected sha256 {sha256}, got {digest}. "
                            "The download was deleted; run again, and if it fails again the file changed upstream")
    os.replace(part, dest)  # atomic on POSIX and Windows: dest is absent or complete
    return dest
