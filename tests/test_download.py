"""The dataset downloader against a local HTTP server (127.0.0.1, a thread of the test) that honours Range:
normal, resumed, interrupted and corrupted downloads, server errors, and loading a dataset through a URL."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import os
import re
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from nnfs_core.datasets import ChecksumError, DatasetError, DownloadError, _idx_dataset, fashion_mnist, load
from nnfs_core.datasets._download import download

DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")
STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


class Server:
    """What the handler serves and what it was asked: ``files`` by URL path, ``requests`` as (path, Range)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[tuple[str, str | None]] = []
        self.statuses: list[int] = []
        self.honour_range = True
        self.fail_with: int | None = None
        self.drop_after: int | None = None  # bytes of body sent before the connection is cut
        self.content_range: str | None = None  # a Content-Range to send instead of the right one ("" for none)
        self.url = ""

    def ranges(self):
        return [header for _, header in self.requests]


class Handler(BaseHTTPRequestHandler):
    """GET with single ``bytes=N-`` ranges (206, or 416 past the end), as a static file server does."""

    def do_GET(self):
        state: Server = self.server.state
        state.requests.append((self.path, self.headers.get("Range")))
        body = state.files.get(self.path)
        if state.fail_with or body is None:
            return self._status(state.fail_with or 404)
        start, status = 0, 200
        match = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
        if match and state.honour_range:
            start, status = int(match[1]), 206
            if start >= len(body):
                return self._status(416, {"Content-Range": f"bytes */{len(body)}"})
        payload = body[start:]
        headers = {"Content-Length": str(len(payload))}
        if status == 206:
            headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
            if state.content_range is not None:
                headers["Content-Range"] = state.content_range
        self._status(status, headers)
        self.wfile.write(payload if state.drop_after is None else payload[:state.drop_after])

    def _status(self, status, headers=None):
        self.server.state.statuses.append(status)
        self.send_response(status)
        headers = headers or {"Content-Length": "0"}
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.state = Server()
    httpd.state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield httpd.state
    httpd.shutdown()
    httpd.server_close()
    thread.join(5)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def payload(size=50_000, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes()


# -- the downloader --------------------------------------------------------------------------------------------


def test_normal_download(server, tmp_path):
    data = payload()
    server.files["/d/file.bin"] = data
    path = download(f"{server.url}/d/file.bin", tmp_path / "sub" / "file.bin", [sha256(data)], progress=False)
    assert path == tmp_path / "sub" / "file.bin" and path.read_bytes() == data
    assert os.listdir(tmp_path / "sub") == ["file.bin"]  # no .part left
    assert server.ranges() == [None] and server.statuses == [200]


def test_resumed_download_asks_only_for_the_rest(server, tmp_path):
    data = payload()
    server.files["/file.bin"] = data
    (tmp_path / "file.bin.part").write_bytes(data[:12_345])
    path = download(f"{server.url}/file.bin", tmp_path / "file.bin", [sha256(data)], progress=False)
    assert path.read_bytes() == data
    assert server.ranges() == ["bytes=12345-"] and server.statuses == [206]
    assert not (tmp_path / "file.bin.part").exists()


def test_interrupted_download_keeps_the_part_and_resumes(server, tmp_path):
    data = payload()
    server.files["/file.bin"] = data
    server.drop_after = 20_000
    with pytest.raises(DownloadError, match="stopped after 20,000 of 50,000 bytes; run again to resume") as caught:
        download(f"{server.url}/file.bin", tmp_path / "file.bin", [sha256(data)], progress=False)
    assert isinstance(caught.value, OSError)
    assert (tmp_path / "file.bin.part").read_bytes() == data[:20_000] and not (tmp_path / "file.bin").exists()
    server.drop_after = None
    download(f"{server.url}/file.bin", tmp_path / "file.bin", [sha256(data)], progress=False)
    assert (tmp_path / "file.bin").read_bytes() == data
    assert server.ranges() == [None, "bytes=20000-"]


def test_a_server_ignoring_range_sends_the_whole_file_again(server, tmp_path):
    data = payload()
    server.files["/file.bin"] = data
    server.honour_range = False
    (tmp_path / "file.bin.part").write_bytes(data[:1000])
    download(f"{server.url}/file.bin", tmp_path / "file.bin", [sha256(data)], progress=False)
    assert (tmp_path / "file.bin").read_bytes() == data  # not the prefix twice
    assert server.statuses == [200]


@pytest.mark.parametrize("content_range", ["", "bytes 500-49999/50000"])
def test_a_partial_answer_that_does_not_continue_the_part_starts_over(server, tmp_path, content_range):
    data = payload()
    server.files["/file.bin"] = data
    server.content_range = content_range
    (tmp_path / "file.bin.part").write_bytes(data[:1000])
    download(f"{server.url}/file.bin", tmp_path / "file.bin", [sha256(data)], progress=False)
    assert (tmp_path / "file.bin").read_bytes() == data
    assert server.ranges() == ["bytes=1000-", None] and server.statuses == [206, 200]


def test_a_part_longer_than_the_file_starts_over(server, tmp_path):
    data = payload(1000)
    server.files["/file.bin"] = data
    (tmp_path / "file.bin.part").write_bytes(payload(3000, seed=1))
    download(f"{server.url}/file.bin", tmp_path / "file.bin", [sha256(data)], progress=False)
    assert (tmp_path / "file.bin").read_bytes() == data
    assert server.statuses == [416, 200]


def test_corrupted_download_is_deleted_and_rejected(server, tmp_path):
    data = payload()
    corrupted = bytearray(data)
    corrupted[25_000] ^= 0x01
    server.files["/file.bin"] = bytes(corrupted)
    with pytest.raises(ChecksumError) as caught:
        download(f"{server.url}/file.bin", tmp_path / "file.bin", [sha256(data)], progress=False)
    message = str(caught.value)
    assert f"{server.url}/file.bin" in message and sha256(bytes(corrupted)) in message and sha256(data) in message
    assert "deleted" in message
    assert os.listdir(tmp_path) == []


def test_a_stale_part_that_is_not_a_prefix_is_caught_by_the_digest(server, tmp_path):
    data = payload()
    server.files["/file.bin"] = data
    (tmp_path / "file.bin.part").write_bytes(b"\xff" * 100)
    with pytest.raises(ChecksumError):
        download(f"{server.url}/file.bin", tmp_path / "file.bin", [sha256(data)], progress=False)
    assert os.listdir(tmp_path) == []
    download(f"{server.url}/file.bin", tmp_path / "file.bin", [sha256(data)], progress=False)  # a clean retry
    assert (tmp_path / "file.bin").read_bytes() == data


@pytest.mark.parametrize(("status", "reason"), [(500, "Internal Server Error"), (503, "Service Unavailable")])
def test_server_error(server, tmp_path, status, reason):
    server.files["/file.bin"] = payload()
    server.fail_with = status
    with pytest.raises(DownloadError, match=f"{re.escape(server.url)}/file.bin failed: the server answered HTTP "
                                            f"{status} {reason}"):
        download(f"{server.url}/file.bin", tmp_path / "file.bin", [sha256(b"")], progress=False)
    assert not (tmp_path / "file.bin").exists() and not (tmp_path / "file.bin.part").exists()


def test_missing_file_on_the_server(server, tmp_path):
    with pytest.raises(DownloadError, match="HTTP 404"):
        download(f"{server.url}/nothing.gz", tmp_path / "nothing.gz", [sha256(b"")], progress=False)


def test_unreachable_server(tmp_path):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(DownloadError, match=f"cannot download http://127.0.0.1:{port}/f: .*Check the URL"):
        download(f"http://127.0.0.1:{port}/f", tmp_path / "f", [sha256(b"")], progress=False, timeout=5)


def test_only_http_urls_and_only_with_a_digest(tmp_path):
    with pytest.raises(DownloadError, match="only http:// and https://"):
        download(f"file://{tmp_path}/f", tmp_path / "g", [sha256(b"")])
    with pytest.raises(DownloadError, match="without a SHA-256 digest"):
        download("http://127.0.0.1:9/f", tmp_path / "g", [])


def test_a_gzip_file_is_also_accepted_by_the_digest_of_its_content(server, tmp_path):
    """A mirror that recompressed the file serves other bytes with the same content."""
    content = payload(5000)
    server.files["/a.gz"] = gzip.compress(content, mtime=12345)
    download(f"{server.url}/a.gz", tmp_path / "a.gz", [sha256(content)], progress=False)
    assert gzip.decompress((tmp_path / "a.gz").read_bytes()) == content


def test_progress_bar_for_a_long_download(server, tmp_path, capsys):
    data = payload(3 << 20)
    server.files["/big.bin"] = data
    download(f"{server.url}/big.bin", tmp_path / "big.bin", [sha256(data)], progress=True)
    err = capsys.readouterr().err
    assert "big.bin" in err and "3.00M" in err  # tqdm's total, in binary units
    download(f"{server.url}/big.bin", tmp_path / "quiet.bin", [sha256(data)], progress=False)
    assert capsys.readouterr().err == ""


# -- datasets through a URL -------------------------------------------------------------------------------------


def idx_gz(array):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes(), mtime=0)


@pytest.fixture
def published(server, monkeypatch, tmp_path):
    """Four small IDX files at ``<server>/pub/``, the cache in tmp_path, no NNFS_* dataset variables."""
    rng = np.random.default_rng(0)
    arrays = {STEMS[0]: rng.integers(0, 256, (8, 28, 28)), STEMS[1]: np.arange(8) % 10,
              STEMS[2]: rng.integers(0, 256, (4, 28, 28)), STEMS[3]: np.arange(4)}
    for stem, array in arrays.items():
        server.files[f"/pub/{stem}.gz"] = idx_gz(array)
    for variable in ("NNFS_DATA", "NNFS_MNIST_URL", "NNFS_FASHION_MNIST_URL"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setattr(_idx_dataset, "cache_directory", lambda: tmp_path / "cache")
    no_debian = dataclasses.replace(fashion_mnist.FASHION_MNIST, system_directories=())
    monkeypatch.setattr(fashion_mnist, "FASHION_MNIST", no_debian)
    digests = {f"{stem}.gz": sha256(server.files[f"/pub/{stem}.gz"]) for stem in STEMS}
    return arrays, digests, tmp_path / "cache"


def test_mnist_downloads_into_the_cache_from_the_environment_url(server, published, monkeypatch):
    arrays, digests, cache = published
    monkeypatch.setenv("NNFS_MNIST_URL", f"{server.url}/pub/")
    (x_train, y_train), (x_test, y_test) = load("mnist", sha256=digests, progress=False)
    np.testing.assert_array_equal(x_train[:, 0], arrays[STEMS[0]].astype(np.float32) / np.float32(255))
    np.testing.assert_array_equal(y_test, arrays[STEMS[3]])
    assert sorted(os.listdir(cache / "mnist")) == sorted(f"{stem}.gz" for stem in STEMS)
    load("mnist", sha256=digests)  # the second time from the cache: nothing is asked
    assert len(server.requests) == 4


def test_mnist_downloads_nothing_without_digests(server, published, monkeypatch):
    monkeypatch.setenv("NNFS_MNIST_URL", f"{server.url}/pub/")
    with pytest.raises(DatasetError, match=r"no SHA-256 digest is known for train-images-idx3-ubyte.gz, .* sha256="):
        load("mnist")
    assert server.requests == []


def test_download_into_nnfs_data_fetches_only_the_missing_files(server, published, monkeypatch, tmp_path):
    arrays, digests, cache = published
    target = tmp_path / "data" / "fashion-mnist"
    target.mkdir(parents=True)
    for stem in STEMS[:2]:
        (target / f"{stem}.gz").write_bytes(server.files[f"/pub/{stem}.gz"])
    monkeypatch.setenv("NNFS_DATA", str(tmp_path / "data"))
    splits = load("fashion-mnist", url=f"{server.url}/pub", sha256=digests, progress=False)
    np.testing.assert_array_equal(splits.test.y, arrays[STEMS[3]])
    assert [path for path, _ in server.requests] == [f"/pub/{stem}.gz" for stem in STEMS[2:]]
    assert not cache.exists()


def test_fashion_mnist_known_digests_reject_other_files(server, published):
    """Without sha256=, Fashion-MNIST's own digests apply: the small synthetic files do not match them."""
    with pytest.raises(ChecksumError, match="train-images-idx3-ubyte.gz"):
        load("fashion-mnist", url=f"{server.url}/pub/", progress=False)
    assert sorted(os.listdir(published[2] / "fashion-mnist")) == []  # the rejected file is gone


@pytest.mark.parametrize(("sha256", "message"), [
    ({"train-images.gz": "0" * 64}, "not one of the mnist files"),
    ({"train-images-idx3-ubyte.gz": "abc"}, "must be 64 hex digits"),
])
def test_bad_sha256_arguments(server, published, sha256, message):
    with pytest.raises(DatasetError, match=message):
        load("mnist", url=f"{server.url}/pub/", sha256=sha256)
    assert server.requests == []


def test_real_fashion_mnist_through_the_downloader(server, published, monkeypatch):
    """Debian's files served over HTTP verify against the built-in digests; a recompressed copy does too."""
    if not all((DEBIAN_FASHION / f"{stem}.gz").is_file() for stem in STEMS):
        reason = "Debian's dataset-fashion-mnist is not installed (apt-get install dataset-fashion-mnist)"
        if os.environ.get("NNFS_REQUIRE_DATASETS") == "1":
            pytest.fail(f"NNFS_REQUIRE_DATASETS=1 but {reason}")
        pytest.skip(reason)
    for stem in STEMS:
        server.files[f"/real/{stem}.gz"] = (DEBIAN_FASHION / f"{stem}.gz").read_bytes()
    labels = gzip.decompress(server.files[f"/real/{STEMS[3]}.gz"])
    server.files[f"/real/{STEMS[3]}.gz"] = gzip.compress(labels, compresslevel=1, mtime=1)  # other bytes
    (x_train, y_train), (x_test, y_test) = load("fashion-mnist", url=f"{server.url}/real/", progress=False)
    assert len(x_train) == 60000 and len(x_test) == 10000
    np.testing.assert_array_equal(np.bincount(y_test), np.full(10, 1000))
