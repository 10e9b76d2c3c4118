"""Downloading a dataset file: resumable, SHA-256 verified, atomic. Standard library only (urllib).

The bytes go to ``<destination>.part``. A ``.part`` left by an interrupted download is resumed with an
HTTP ``Range`` request (a server that ignores it sends the whole file, which then replaces the part).
When the transfer is complete the part is flushed to disk (fsync), its digest is checked, and only then
is it renamed onto the destination (``os.replace``, atomic), so the destination is either absent or a
verified file, never a partial one. A part whose digest is wrong is deleted.

A digest is accepted when it is the SHA-256 of the file as downloaded or, for a gzip file, of its
decompressed content: the content digest holds whichever way a mirror compressed the file.

A hostile or broken server cannot do much: redirects are followed only to http:// and https:// URLs; a
file may not be larger than ``max_bytes`` (declared or received); the whole download must finish
within ``deadline`` seconds (each read also times out after ``timeout``); an invalid Content-Length is
an error; a failed write (a full disk) is reported as such, not as an interrupted transfer.
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import http.client
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from tqdm.auto import tqdm

from nnfs_core.datasets._errors import ChecksumError, DownloadError
from nnfs_core.datasets._idx import GZIP_MAGIC

__all__ = ["download", "verify", "sha256_of"]

CHUNK_SIZE = 1 << 20
PROGRESS_MIN_BYTES = 1 << 20  # no progress bar for files smaller than this
SCHEMES = ("http://", "https://")
MAX_BYTES = 1 << 30  # far above any dataset file nnfs knows (MNIST's largest is 47 MB uncompressed)
DEADLINE = 3600.0  # seconds for a whole file
_CONTENT_RANGE = re.compile(r"bytes (\d+)-\d+/(\d+|\*)")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


def sha256_of(stream: _Readable) -> str:
    digest = hashlib.sha256()
    while chunk := stream.read(CHUNK_SIZE):
        digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, digests: Collection[str]) -> None:
    """Raise ``ChecksumError`` unless the file's (or its decompressed content's) SHA-256 is in ``digests``."""
    accepted = {digest.lower() for digest in digests}
    with open(path, "rb") as handle:
        file_digest = sha256_of(handle)
        handle.seek(0)
        compressed = handle.read(2) == GZIP_MAGIC
    if file_digest in accepted:
        return
    content_digest = None
    if compressed:
        try:
            with gzip.open(path, "rb") as stream:
                content_digest = sha256_of(stream)
        except (OSError, EOFError) as error:  # a corrupt gzip stream cannot match anything
            content_digest = f"none (the gzip data is corrupt: {error})"
        if content_digest in accepted:
            return
    got = file_digest + (f" (decompressed content: {content_digest})" if compressed else "")
    raise ChecksumError(f"{path.name}: SHA-256 {got} is not the expected {' or '.join(sorted(accepted))}")


def check_digest(digest: str, what: str) -> str:
    """A SHA-256 digest as 64 lower-case hex digits; anything else raises ``ValueError``."""
    normal = digest.strip().lower() if isinstance(digest, str) else ""
    if not _HEX_DIGEST.fullmatch(normal):
        raise ValueError(f"the SHA-256 digest of {what} must be 64 hex digits, got {digest!r}")
    return normal


@dataclass(frozen=True)
class _Limits:
    max_bytes: int
    deadline: float  # seconds allowed
    end: float  # time.monotonic() when they are over


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http:// and https:// URLs only (urllib would also follow ftp://)."""

    def http_error_302(self, req: Any, fp: Any, code: int, msg: str, headers: Any) -> Any:
        target = urllib.parse.urljoin(req.full_url, headers.get("Location") or headers.get("URI") or "")
        if not target.lower().startswith(SCHEMES):
            fp.close()
            raise DownloadError(f"{req.full_url} redirects to {target[:200]!r}; only http:// and https:// "
                                f"redirects are followed")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects)


def download(url: str, destination: str | Path, digests: Collection[str], *, progress: bool = True,
             timeout: float = 60.0, max_bytes: int = MAX_BYTES, deadline: float = DEADLINE) -> Path:
    """Download ``url`` to ``destination`` (resuming ``destination.part``), verify it, and return the path.

    ``timeout`` bounds each connection attempt and read, ``deadline`` the whole download (seconds), and
    ``max_bytes`` the file's size.

    Raises ``DownloadError`` when the server cannot be reached, answers an error, stops early or
    runs out of time (the part is kept, so calling again resumes), sends more than ``max_bytes`` or
    redirects elsewhere than http(s) (the part is deleted), or the part cannot be written (a full disk);
    and ``ChecksumError`` when the digest is wrong (the part is deleted).
    """
    if not url.startswith(SCHEMES):
        raise DownloadError(f"cannot download {url!r}: only http:// and https:// URLs are supported")
    if not digests:
        raise DownloadError(f"refusing to download {url} without a SHA-256 digest to check it against")
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    part = destination.with_name(destination.name + ".part")
    _fetch(url, part, progress=progress, timeout=timeout,
           limits=_Limits(max_bytes, deadline, time.monotonic() + deadline))
    try:
        verify(part, digests)
    except ChecksumError as error:
        part.unlink(missing_ok=True)
        raise ChecksumError(f"downloaded {url}: {error}. The download was deleted; check the URL and the "
                            f"expected digest, then try again") from None
    os.replace(part, destination)
    _fsync_directory(destination.parent)
    return destination


def _fetch(url: str, part: Path, *, progress: bool, timeout: float, limits: _Limits) -> None:
    """Bring ``part`` to the complete file, resuming from its current size when the server allows."""
    for _ in range(2):  # the second round starts over, when the part cannot be resumed
        offset = part.stat().st_size if part.exists() else 0
        response = _open(url, offset, timeout)
        if response is None:  # 416: the part is not a prefix of the file (it is too long)
            part.unlink()
            continue
        with response:
            start, total = _resumed_at(response, offset, url)
            if total is not None and total > limits.max_bytes:
                part.unlink(missing_ok=True)
                raise DownloadError(f"{url} is {total:,} bytes, more than the limit of {limits.max_bytes:,} "
                                    f"(max_bytes=); refused before downloading it")
            if start in (offset, 0):
                if start != offset:  # the server ignored Range and sends the whole file
                    part.unlink()
                _receive(response, part, url, start, total, progress, limits)
                return
        part.unlink()  # a range the part cannot continue: start over without one
    raise DownloadError(f"downloading {url} failed: the server rejected resuming from the partial file twice")


def _open(url: str, offset: int, timeout: float) -> http.client.HTTPResponse | None:
    headers = {"Range": f"bytes={offset}-"} if offset else {}
    try:
        response: http.client.HTTPResponse = _OPENER.open(urllib.request.Request(url, headers=headers),
                                                          timeout=timeout)
        return response
    except DownloadError:
        raise
    except urllib.error.HTTPError as error:
        error.close()
        if error.code == 416 and offset:
            return None
        raise DownloadError(f"downloading {url} failed: the server answered HTTP {error.code} {error.reason}") \
            from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DownloadError(f"cannot download {url}: {reason}. Check the URL and the network") from error


def _resumed_at(response: http.client.HTTPResponse, offset: int, url: str) -> tuple[int, int | None]:
    """Where the body starts in the file, and the file's total size when the server says."""
    header = response.headers.get("Content-Length")
    if header is not None and not header.strip().isdigit():
        raise DownloadError(f"downloading {url} failed: the server sent an invalid Content-Length {header[:40]!r}")
    length = int(header) if header is not None else None
    if response.status == 206:
        match = _CONTENT_RANGE.fullmatch(response.headers.get("Content-Range", "").strip())
        if match:
            start = int(match[1])
            total = int(match[2]) if match[2] != "*" else (start + length if length is not None else None)
            return start, total
        return -1, None  # a 206 without a usable Content-Range: its body cannot be placed
    return 0, length


def _receive(response: Any, part: Path, url: str, offset: int, total: int | None, progress: bool,
             limits: _Limits) -> None:
    bar = tqdm(total=total, initial=offset, unit="B", unit_scale=True, unit_divisor=1024, desc=part.name[:-5],
               disable=not progress or total is None or total < PROGRESS_MIN_BYTES, leave=False)
    # read1 returns what one read of the socket brings, so the deadline is checked however slowly
    # bytes come; unbuffered writes make a full disk fail on the write that hit it.
    read = getattr(response, "read1", response.read)
    with open(part, "ab" if offset else "wb", buffering=0) as out, bar:
        try:
            while chunk := _read(read, url, out, part):
                _write(out, chunk, part)
                bar.update(len(chunk))
                if out.tell() > limits.max_bytes:
                    break
                _check_deadline(out.tell(), url, part, limits)
        finally:
            _sync(out)
        received = out.tell()
    if received > limits.max_bytes:
        part.unlink(missing_ok=True)
        raise DownloadError(f"downloading {url}: the server sent more than the limit of {limits.max_bytes:,} "
                            f"bytes (max_bytes=); the download was deleted")
    if total is not None and received != total:
        raise DownloadError(f"downloading {url} stopped after {received:,} of {total:,} bytes; run again to "
                            f"resume from {part}")


def _read(read: Any, url: str, out: IO[bytes], part: Path) -> bytes:
    try:
        chunk: bytes = read(CHUNK_SIZE)
        return chunk
    except (OSError, http.client.HTTPException) as error:
        raise DownloadError(f"downloading {url} was interrupted after {out.tell():,} bytes ({error!r}); "
                            f"run again to resume from {part}") from error


def _write(out: IO[bytes], chunk: bytes, part: Path) -> None:
    try:
        view = memoryview(chunk)
        while view:  # an unbuffered write may take only part of the chunk
            written = out.write(view)
            if not written:
                raise OSError(errno.EIO, "the file took no bytes")
            view = view[written:]
    except OSError as error:
        full = error.errno in (errno.ENOSPC, errno.EDQUOT)
        raise DownloadError(f"cannot write {part}: {error.strerror or error}"
                            + (" - the disk is full; free some space and run again to resume" if full else "")) \
            from error


def _check_deadline(received: int, url: str, part: Path, limits: _Limits) -> None:
    if time.monotonic() > limits.end:
        raise DownloadError(f"downloading {url} did not finish within the deadline of {limits.deadline:g} s "
                            f"({received:,} bytes so far); run again to resume from {part}, or pass a longer "
                            f"deadline=")


def _sync(out: IO[bytes]) -> None:
    """Make what came durable, so that a resumed download continues from it (special files cannot be)."""
    try:
        os.fsync(out.fileno())
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EBADF):
            raise


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable (POSIX); where directories cannot be opened (Windows) there is nothing to do."""
    try:
        handle = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)
