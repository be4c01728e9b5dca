"""download.py against a real HTTP server on 127.0.0.1 (never the internet): resume, checksum, atomicity."""

import hashlib
import http.server
import socket
import threading

import pytest

from phase0_tokenizer.download import DownloadError, download, sha256_file

pytestmark = pytest.mark.commit("0.1")

PAYLOAD = bytes(range(256)) * 400  # 102,400 bytes, every byte value, so nothing is text-only by accident
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves PAYLOAD at any path; honours `Range: bytes=N-` unless told not to; can hang up early."""

    honour_range = True
    hang_up_after: int | None = None  # send only this many body bytes, then close
    seen_ranges: list = []

    def do_GET(self):
        start = 0
        requested = self.headers.get("Range")
        type(self).seen_ranges.append(requested)
        if requested and self.honour_range:
            start = int(requested.removeprefix("bytes=").rstrip("-"))
            if start >= len(PAYLOAD):
                self.send_response(416)
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(PAYLOAD) - 1}/{len(PAYLOAD)}")
        else:
            self.send_response(200)
        body = PAYLOAD[start:]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.hang_up_after is not None:
            body = body[:self.hang_up_after]
            self.close_connection = True
        self.wfile.write(body)

    def log_message(self, *args):  # keep test output quiet
        pass


@pytest.fixture
def server():
    """A fresh handler class per test (its flags are class attributes), served from a thread."""
    handler = type("TestHandler", (Handler,), {"seen_ranges": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{httpd.server_address[1]}/data.bin"
    httpd.shutdown()
    httpd.server_close()


def test_download_writes_the_exact_bytes_and_leaves_no_part_file(server, tmp_path):
    _, url = server
    dest = download(url, tmp_path / "data.bin", PAYLOAD_SHA, size=len(PAYLOAD), progress=False)
    assert dest.read_bytes() == PAYLOAD
    assert sha256_file(dest) == PAYLOAD_SHA
    assert not (tmp_path / "data.bin.part").exists()


def test_download_is_cached_second_call_makes_no_request(server, tmp_path):
    handler, url = server
    download(url, tmp_path / "data.bin", PAYLOAD_SHA, progress=False)
    requests = len(handler.seen_ranges)
    download(url, tmp_path / "data.bin", PAYLOAD_SHA, progress=False)
    assert len(handler.seen_ranges) == requests


def test_download_resumes_a_truncated_part_file_with_a_range_request(server, tmp_path):
    handler, url = server
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD[:30_000])
    dest = download(url, tmp_path / "data.bin", PAYLOAD_SHA, size=len(PAYLOAD), progress=False)
    assert handler.seen_ranges == ["bytes=30000-"]
    assert dest.read_bytes() == PAYLOAD


def test_download_restarts_when_the_server_ignores_range(server, tmp_path):
    handler, url = server
    handler.honour_range = False
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD[:30_000])
    dest = download(url, tmp_path / "data.bin", PAYLOAD_SHA, progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_interrupted_download_keeps_the_part_file_and_the_next_call_finishes_it(server, tmp_path):
    handler, url = server
    handler.hang_up_after = 10_000
    with pytest.raises(DownloadError, match="run again to resume"):
        download(url, tmp_path / "data.bin", PAYLOAD_SHA, progress=False)
    assert (tmp_path / "data.bin.part").stat().st_size == 10_000
    assert not (tmp_path / "data.bin").exists()
    handler.hang_up_after = None
    dest = download(url, tmp_path / "data.bin", PAYLOAD_SHA, progress=False)
    assert handler.seen_ranges[-1] == "bytes=10000-"
    assert dest.read_bytes() == PAYLOAD


def test_complete_part_file_is_finished_without_refetching(server, tmp_path):
    handler, url = server
    (tmp_path / "data.bin.part").write_bytes(PAYLOAD)  # the server answers 416 to "bytes=102400-"
    dest = download(url, tmp_path / "data.bin", PAYLOAD_SHA, progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_checksum_mismatch_raises_and_leaves_no_file(server, tmp_path):
    _, url = server
    with pytest.raises(DownloadError, match="checksum mismatch"):
        download(url, tmp_path / "data.bin", "0" * 64, progress=False)
    assert not (tmp_path / "data.bin").exists()
    assert not (tmp_path / "data.bin.part").exists()


def test_existing_file_with_wrong_checksum_is_an_error_not_a_silent_reuse(tmp_path):
    (tmp_path / "data.bin").write_bytes(b"not the payload")
    with pytest.raises(DownloadError, match="delete it"):
        download("http://127.0.0.1:9/never-contacted", tmp_path / "data.bin", PAYLOAD_SHA, progress=False)


def test_no_network_gives_a_clear_error_naming_where_to_copy_the_file(tmp_path):
    with socket.socket() as s:  # a port that was free a moment ago: connection refused
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dest = tmp_path / "data.bin"
    with pytest.raises(DownloadError, match="no network") as err:
        download(f"http://127.0.0.1:{port}/data.bin", dest, PAYLOAD_SHA, timeout=5, progress=False)
    assert str(dest) in str(err.value)
    assert not dest.exists()


def test_http_error_names_the_status(server, tmp_path):
    handler, url = server

    def not_found(self):
        self.send_error(404)
    handler.do_GET = not_found
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(url, tmp_path / "data.bin", PAYLOAD_SHA, progress=False)


def test_progress_bar_does_not_change_the_bytes(server, tmp_path):
    _, url = server
    dest = download(url, tmp_path / "data.bin", PAYLOAD_SHA, progress=True)
    assert dest.read_bytes() == PAYLOAD
