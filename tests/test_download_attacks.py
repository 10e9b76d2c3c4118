"""A hostile download server (127.0.0.1, a thread of the test; never the internet): redirects to other
schemes, endless or oversized bodies, a trickle of bytes, lying Content-Length, a full disk, absurd IDX
headers. Every one ends in a DatasetError subclass with a message saying what happened."""

from __future__ import annotations

import gzip
import hashlib
import os
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from nnfs_core.datasets import DatasetError, DatasetFormatError, DownloadError
from nnfs_core.datasets._download import download
from nnfs_core.datasets._idx import read_idx, read_idx_header

DIGEST = "0" * 64


class Hostile(BaseHTTPRequestHandler):
    """Each URL path names a behaviour (see do_GET)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        kind = self.path.strip("/").split("/")[0]
        if kind == "redirect":
            target = self.path.split("/", 2)[2]  # /redirect/<url>
            self.send_response(302)
            self.send_header("Location", target.replace("|", "/"))
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif kind == "large":  # declares a large body (sent only if read)
            self._start(str(1 << 40))
        elif kind == "endless":  # no Content-Length, bytes until the client gives up
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self._send_for(b"x" * 65536, seconds=30)
        elif kind == "trickle":  # one byte at a time, slowly, within the per-read timeout
            self._start("1000")
            self._send_for(b"x", seconds=30, pause=0.05)
        elif kind == "bad-length":
            self._start("many")
            self.wfile.write(b"abc")
        elif kind == "negative-length":
            self._start("-5")
            self.wfile.write(b"abc")
        elif kind == "small":
            self._start("3")
            self.wfile.write(b"abc")
        else:
            self.send_error(404)

    def _start(self, length):
        self.send_response(200)
        self.send_header("Content-Length", length)
        self.send_header("Connection", "close")
        self.end_headers()

    def _send_for(self, chunk, seconds, pause=0.0):
        end = time.monotonic() + seconds
        try:
            while time.monotonic() < end:
                self.wfile.write(chunk)
                self.wfile.flush()
                if pause:
                    time.sleep(pause)
        except OSError:  # the client hung up, as it should
            pass

    def log_message(self, *args):
        pass


@pytest.fixture
def url():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hostile)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/file", "data:,hello"])
def test_a_redirect_to_another_scheme_is_refused(url, tmp_path, target):
    with pytest.raises(DownloadError, match=r"redirect.*only http:// and https://"):
        download(f"{url}/redirect/{target.replace('/', '|')}", tmp_path / "f", [DIGEST], progress=False)
    assert os.listdir(tmp_path) == []


def test_a_declared_size_over_the_cap_is_refused_before_reading(url, tmp_path):
    with pytest.raises(DownloadError, match="more than the limit"):
        download(f"{url}/large", tmp_path / "f", [DIGEST], progress=False, max_bytes=1 << 20)
    assert not (tmp_path / "f.part").exists()


def test_an_endless_body_stops_at_the_cap_and_is_deleted(url, tmp_path):
    with pytest.raises(DownloadError, match="more than the limit"):
        download(f"{url}/endless", tmp_path / "f", [DIGEST], progress=False, max_bytes=1 << 20)
    assert not (tmp_path / "f.part").exists()


def test_a_trickling_server_hits_the_overall_deadline(url, tmp_path):
    with pytest.raises(DownloadError, match="deadline"):
        download(f"{url}/trickle", tmp_path / "f", [DIGEST], progress=False, timeout=5.0, deadline=0.5)
    assert (tmp_path / "f.part").exists()  # what came is kept, to resume


@pytest.mark.parametrize("kind", ["bad-length", "negative-length"])
def test_a_bad_content_length_is_a_download_error(url, tmp_path, kind):
    # The body is 3 bytes whatever the header says; the digest decides, never a raw ValueError.
    digest = hashlib.sha256(b"abc").hexdigest()
    try:
        path = download(f"{url}/{kind}", tmp_path / "f", [digest], progress=False)
    except DownloadError as error:
        assert "Content-Length" in str(error)
    else:
        assert path.read_bytes() == b"abc"


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_is_reported_as_a_full_disk(url, tmp_path):
    (tmp_path / "f.part").symlink_to("/dev/full")
    with pytest.raises(DownloadError, match="No space left|disk is full") as caught:
        download(f"{url}/small", tmp_path / "f", [DIGEST], progress=False)
    assert "interrupted" not in str(caught.value)


def _idx_header(shape, code=0x08):
    return bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", size) for size in shape)


@pytest.mark.parametrize("shape", [(4_000_000_000, 4_000_000_000, 4_000_000_000), (60000, 65535, 65535)])
def test_absurd_idx_dimensions_in_a_gzip_file_are_a_format_error(tmp_path, shape):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(_idx_header(shape) + b"\0" * 100))
    for read in (read_idx, read_idx_header):
        with pytest.raises(DatasetFormatError, match="more than a gzip file"):
            read(path)


def test_absurd_idx_dimensions_in_a_raw_file_are_a_format_error(tmp_path):
    path = tmp_path / "images"
    path.write_bytes(_idx_header((4_000_000_000, 4_000_000_000, 4_000_000_000)) + b"\0" * 100)
    with pytest.raises(DatasetError, match="truncated"):
        read_idx(path)
