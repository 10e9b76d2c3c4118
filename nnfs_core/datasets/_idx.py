"""Reading IDX files, the format of MNIST and Fashion-MNIST, raw or gzip-compressed.

An IDX file is a 4-byte magic number ``00 00 TT DD`` (TT the element type, DD the number of dimensions),
DD big-endian uint32 sizes, then the elements in C order, big-endian. A gzip file is recognised by its
own magic number (``1f 8b``), whatever its name. The reader checks everything it can before allocating:
the magic number, the type, the number of dimensions, the sizes, and that the data is exactly as long as
the sizes say (no more, no less; for a gzip file, before reading, that its size could hold them at all);
any mismatch is a ``DatasetFormatError`` naming the file.
"""

from __future__ import annotations

import gzip
import io
import math
import zlib
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from nnfs_core.datasets._errors import DatasetError, DatasetFormatError

__all__ = ["IdxHeader", "read_idx", "read_idx_header"]

# IDX element type codes and the big-endian dtypes they stand for.
IDX_TYPES: dict[int, np.dtype[Any]] = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
GZIP_MAGIC = b"\x1f\x8b"
Stream = gzip.GzipFile | io.BufferedReader
_GZIP_ERRORS = (OSError, EOFError, zlib.error)  # gzip.BadGzipFile is an OSError
_DEFLATE_MAX_RATIO = 1032  # the most deflate can compress: 258-byte matches in about 2 bits each


class IdxHeader(NamedTuple):
    """What an IDX header says: element dtype (big-endian), shape, and whether the file is gzipped."""

    dtype: np.dtype[Any]
    shape: tuple[int, ...]
    compressed: bool

    @property
    def header_size(self) -> int:
        return 4 + 4 * len(self.shape)

    @property
    def data_size(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(2) == GZIP_MAGIC


def _open(path: Path) -> tuple[Stream, bool]:
    try:
        compressed = is_gzip(path)
        return (gzip.open(path, "rb") if compressed else open(path, "rb")), compressed
    except FileNotFoundError:
        raise DatasetError(f"IDX file {path} does not exist") from None
    except OSError as error:
        raise DatasetError(f"cannot open the IDX file {path}: {error.strerror or error}") from error


def _read_exactly(stream: Stream, size: int, path: Path, what: str) -> bytes:
    try:
        data = stream.read(size)
    except _GZIP_ERRORS as error:
        raise DatasetFormatError(f"{path}: corrupt gzip data while reading the {what}: {error}") from error
    if len(data) != size:
        raise DatasetFormatError(f"{path}: file ends inside the {what} ({len(data)} of {size} bytes)")
    return data


def _parse_header(stream: Stream, path: Path, compressed: bool) -> IdxHeader:
    magic = _read_exactly(stream, 4, path, "IDX magic number")
    if magic[:2] != b"\x00\x00" or magic[2] not in IDX_TYPES:
        raise DatasetFormatError(
            f"{path}: not an IDX file - the magic number is {magic.hex(' ')}, expected 00 00 TT DD with TT one of "
            f"{', '.join(f'{code:02x}' for code in IDX_TYPES)} (uint8 is 08)"
        )
    ndim = magic[3]
    if ndim == 0:
        raise DatasetFormatError(f"{path}: the IDX magic number declares 0 dimensions")
    shape = tuple(int(size) for size in np.frombuffer(_read_exactly(stream, 4 * ndim, path, "IDX sizes"), ">u4"))
    return IdxHeader(IDX_TYPES[magic[2]], shape, compressed)


def _check_gzip_size(path: Path, header: IdxHeader) -> None:
    """Deflate shrinks data at most ~1032-fold: a header declaring more than that of the file's size lies."""
    size = path.stat().st_size
    most = size * _DEFLATE_MAX_RATIO
    if header.header_size + header.data_size > most:
        raise DatasetFormatError(
            f"{path}: its IDX header declares shape {header.shape} of {header.dtype.name} ({header.data_size:,} "
            f"bytes), more than a gzip file of {size:,} bytes can hold (at most {most:,}); the file is damaged "
            f"or not an IDX file"
        )


def _check_raw_size(path: Path, header: IdxHeader) -> None:
    expected = header.header_size + header.data_size
    actual = path.stat().st_size
    if actual != expected:
        how = "truncated" if actual < expected else "too long"
        raise DatasetFormatError(
            f"{path}: {how} - its header says shape {header.shape} of {header.dtype.name}, which is "
            f"{expected:,} bytes with the header, but the file has {actual:,} bytes"
        )


def read_idx_header(path: str | Path) -> IdxHeader:
    """Read and check only the header of an IDX file (cheap: a gzip file is decompressed a few bytes).

    The size of a raw file is checked against the header too; a gzip file's only when it is read.
    """
    path = Path(path)
    stream, compressed = _open(path)
    with stream:
        header = _parse_header(stream, path, compressed)
    (_check_gzip_size if compressed else _check_raw_size)(path, header)
    return header


def read_idx(path: str | Path, *, ndim: int | None = None, dtype: npt.DTypeLike | None = None) -> npt.NDArray[Any]:
    """Read a whole IDX file (raw or gzip) into an array of its header's shape.

    The data is read straight into one preallocated array (no intermediate copies, no Python loop over
    elements). ``ndim`` and ``dtype``, when given, are what the caller expects; anything else is a
    ``DatasetFormatError``. Multi-byte elements are returned in native byte order.
    """
    path = Path(path)
    stream, compressed = _open(path)
    with stream:
        header = _parse_header(stream, path, compressed)
        _check_expected(path, header, ndim, dtype)
        (_check_gzip_size if compressed else _check_raw_size)(path, header)
        data = np.empty(header.data_size, np.uint8)
        received = _read_into(stream, data, path)
        if received != header.data_size:
            raise DatasetFormatError(
                f"{path}: truncated - its header says shape {header.shape} ({header.data_size:,} bytes of data), "
                f"but the data ends after {received:,} bytes"
            )
        if _next_byte(stream, path):
            raise DatasetFormatError(
                f"{path}: too long - more data follows the {header.data_size:,} bytes that shape {header.shape} "
                f"of {header.dtype.name} takes"
            )
    array = data.view(header.dtype).reshape(header.shape)
    return array if header.dtype.isnative else array.astype(header.dtype.newbyteorder("="))


def _check_expected(path: Path, header: IdxHeader, ndim: int | None, dtype: npt.DTypeLike | None) -> None:
    if ndim is not None and len(header.shape) != ndim:
        raise DatasetFormatError(f"{path}: expected {ndim} dimension(s), the IDX header declares shape {header.shape}")
    if dtype is not None and header.dtype != np.dtype(dtype):
        raise DatasetFormatError(f"{path}: expected elements of {np.dtype(dtype).name}, the IDX header declares "
                                 f"{header.dtype.name}")


def _read_into(stream: Stream, data: npt.NDArray[np.uint8], path: Path) -> int:
    """Fill ``data`` from ``stream``; returns how many bytes came (fewer only if the stream ended)."""
    view = data.data  # the array's own buffer: reading into it copies nothing
    received = 0
    try:
        while received < len(view):
            count = stream.readinto(view[received:])
            if not count:
                break
            received += count
    except _GZIP_ERRORS as error:
        raise DatasetFormatError(f"{path}: corrupt gzip data: {error}") from error
    return received


def _next_byte(stream: Stream, path: Path) -> bytes:
    """One more byte, if any; reading to the end also makes gzip check its CRC and length trailer."""
    try:
        return stream.read(1)
    except _GZIP_ERRORS as error:
        raise DatasetFormatError(f"{path}: corrupt gzip data at the end of the file: {error}") from error
