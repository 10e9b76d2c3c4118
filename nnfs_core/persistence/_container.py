"""The zip container: writing it, and opening one defensively.

A model file is a zip archive (readable by ``np.load`` as an ``.npz``) with a ``header.json`` member and one
``<array name>.npy`` member per array, all stored uncompressed. Reading checks the archive's directory
(member count, names, compression methods, declared sizes and compression ratios) before decompressing
anything, reads ``header.json`` under a size limit, and reads each array only after its ``.npy`` header
matched what ``header.json`` declared, into an array allocated at the declared size.
"""

from __future__ import annotations

import ast
import json
import math
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Mapping
from typing import IO, Any

import numpy as np

from nnfs_core.errors import ModelFormatError
from nnfs_core.persistence._limits import LoadLimits, npy_descr
from nnfs_core.persistence._tree import is_safe_name

__all__ = ["HEADER_MEMBER", "write_container", "Container"]

HEADER_MEMBER = "header.json"
_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so that the same model always gives the same bytes
_END_RECORD = struct.Struct("<4s4H2LH")
_NPY_MAGIC = b"\x93NUMPY"
_CHUNK = 1 << 20
#: What zipfile, zlib and struct raise on damaged input (NotImplementedError: an unknown zip version or
#: method; RuntimeError: encryption; OverflowError/ValueError: absurd numbers in the headers).
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, struct.error, NotImplementedError,
            RuntimeError, OverflowError, UnicodeError, KeyError, IndexError, TypeError)


def _open_regular_file(path: str) -> IO[bytes]:
    """Open ``path`` for reading if it is a regular file; anything else is a ``ModelFormatError``.

    The file is opened without blocking, so a FIFO (which would wait for a writer forever) or a device is
    refused by what it is, not waited on; a missing file stays a ``FileNotFoundError``.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise ModelFormatError(f"{path}: cannot open the model file: {error.strerror or error}") from error
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        what = "a directory" if stat.S_ISDIR(mode) else "a FIFO" if stat.S_ISFIFO(mode) else "not a regular file"
        raise ModelFormatError(f"{path}: is {what}; a model file is a regular file written by Network.save")
    if hasattr(os, "set_blocking"):
        os.set_blocking(descriptor, True)
    return os.fdopen(descriptor, "rb")


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=_DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    return info


def write_container(file: IO[bytes], header: bytes, arrays: Mapping[str, np.ndarray[Any, Any]]) -> None:
    """Write ``header`` (JSON text) and ``arrays`` (little-endian, C order, no pickle) to ``file``."""
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED, allowZip64=False) as archive:
        archive.writestr(_info(HEADER_MEMBER), header)
        for name, array in arrays.items():
            with archive.open(_info(f"{name}.npy"), "w") as member:
                np.lib.format.write_array(member, array, allow_pickle=False)


class Container:
    """An opened model file: its checked directory and header; arrays are read on request.

    Use as a context manager. Every problem with the file raises ``ModelFormatError``.
    """

    def __init__(self, path: str | os.PathLike[str], limits: LoadLimits) -> None:
        self.path = os.fspath(path)
        self.limits = limits
        self._file = _open_regular_file(self.path)
        try:
            self._archive = self._open_archive()
            self.members = self._check_members()
            self.raw_header = self._read_header()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        archive = getattr(self, "_archive", None)
        if archive is not None:
            archive.close()
        self._file.close()

    def fail(self, message: str) -> ModelFormatError:
        return ModelFormatError(f"{self.path}: {message}")

    # -- the directory ------------------------------------------------------------------------------------
    def _open_archive(self) -> zipfile.ZipFile:
        size = os.fstat(self._file.fileno()).st_size
        if size > self.limits.max_file_bytes:
            raise self.fail(f"the file has {size} bytes, more than the limit of {self.limits.max_file_bytes}")
        if self._file.read(4) != b"PK\x03\x04":
            raise self.fail("not an nnfs model file: it does not start with a zip signature (PK\\x03\\x04)")
        self._check_end_record(size)
        try:
            return zipfile.ZipFile(self._file)
        except _DAMAGED as error:
            raise self.fail(f"damaged zip archive: {type(error).__name__}: {error}") from error

    def _check_end_record(self, size: int) -> None:
        """Read the counts the zip's end record declares before ``zipfile`` parses the directory."""
        tail_size = min(size, _END_RECORD.size + 65535)
        self._file.seek(size - tail_size)
        tail = self._file.read(tail_size)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or len(tail) - at < _END_RECORD.size:
            raise self.fail("no zip end record: the file is truncated or not a zip archive")
        _, disk, cd_disk, _, entries, cd_size, _, _ = _END_RECORD.unpack_from(tail, at)
        if at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
            raise self.fail("ZIP64 archives are not used by format version 1 (files stay under 2 GiB)")
        if disk or cd_disk:
            raise self.fail("multi-volume zip archives are not supported")
        if entries > self.limits.max_members:
            raise self.fail(f"the archive declares {entries} members, more than the limit of {self.limits.max_members}")
        if cd_size > size:
            raise self.fail(f"the zip directory claims {cd_size} bytes in a file of {size}")

    def _check_members(self) -> dict[str, zipfile.ZipInfo]:
        limits, members, total = self.limits, {}, 0
        infos = self._archive.infolist()
        if len(infos) > limits.max_members:
            raise self.fail(f"the archive has {len(infos)} members, more than the limit of {limits.max_members}")
        for info in infos:
            name = info.filename
            if name != HEADER_MEMBER and not (name.endswith(".npy") and is_safe_name(name[:-4])):
                raise self.fail(f"unexpected member name {name!r:.120}: members are header.json and <name>.npy "
                                f"with plain names (no directories, no '..', no absolute paths)")
            if info.orig_filename != name or name in members:
                raise self.fail(f"the member name {name!r} is repeated or carries hidden characters")
            if info.flag_bits & 0x1:
                raise self.fail(f"member {name!r} is encrypted")
            if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
                raise self.fail(f"stored member {name!r} declares {info.file_size} bytes but occupies "
                                f"{info.compress_size}")
            if info.compress_type == zipfile.ZIP_DEFLATED:
                if info.file_size > info.compress_size * limits.max_compression_ratio + 4096:
                    raise self.fail(f"member {name!r} would expand from {info.compress_size} to {info.file_size} "
                                    f"bytes, a ratio above {limits.max_compression_ratio} (a zip bomb?)")
            elif info.compress_type != zipfile.ZIP_STORED:
                raise self.fail(f"member {name!r} uses compression method {info.compress_type}; only stored (0) "
                                f"and deflated (8) members are read")
            if info.header_offset + 30 + len(name) + info.compress_size > self._archive.start_dir:
                raise self.fail(f"member {name!r} extends past the start of the zip directory (truncated or forged)")
            total += info.file_size
            if total > limits.max_total_bytes:
                raise self.fail(f"the members declare more than {limits.max_total_bytes} bytes in total")
            members[name] = info
        if HEADER_MEMBER not in members:
            raise self.fail("not an nnfs model file: it has no header.json member")
        return members

    # -- the header ---------------------------------------------------------------------------------------
    def _read_header(self) -> Any:
        info = self.members[HEADER_MEMBER]
        if info.file_size > self.limits.max_header_bytes:
            raise self.fail(f"header.json declares {info.file_size} bytes, more than the limit of "
                            f"{self.limits.max_header_bytes}")
        data = self._read_member(info, info.file_size)
        try:
            return json.loads(data.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float,
                              object_pairs_hook=_unique_keys)
        except (ValueError, RecursionError) as error:
            raise self.fail(f"header.json is not valid JSON: {str(error):.200}") from error

    def _read_member(self, info: zipfile.ZipInfo, size: int) -> bytes:
        try:
            with self._archive.open(info) as member:
                data = member.read(size)
                if len(data) != size or member.read(1):
                    raise self.fail(f"member {info.filename!r} does not hold the {size} bytes it declares")
        except ModelFormatError:
            raise
        except _DAMAGED as error:
            raise self.fail(f"member {info.filename!r} cannot be read: {type(error).__name__}: {error}") from error
        return data

    def check_table(self, specs: Mapping[str, Any]) -> None:
        """The members must be exactly header.json and one ``.npy`` per declared array, of a fitting size."""
        declared = {f"{name}.npy" for name in specs} | {HEADER_MEMBER}
        if declared != set(self.members):
            extra, missing = sorted(set(self.members) - declared), sorted(declared - set(self.members))
            raise self.fail(f"the members do not match header.json's array table: extra {extra[:5]}, "
                            f"missing {missing[:5]}")
        for name, spec in specs.items():
            size = self.members[f"{name}.npy"].file_size
            if not spec.nbytes + 10 < size <= spec.nbytes + 12 + self.limits.max_npy_header_bytes:
                raise self.fail(f"array {name!r} is declared as {spec.dtype}{list(spec.shape)} ({spec.nbytes} bytes), "
                                f"but its member holds {size} bytes")

    # -- arrays -------------------------------------------------------------------------------------------
    def read_array(self, name: str, shape: tuple[int, ...], dtype: str) -> np.ndarray[Any, Any]:
        """The array ``name``, checked to have the declared ``shape`` and ``dtype`` (and a correct CRC)."""
        info = self.members[f"{name}.npy"]
        try:
            with self._archive.open(info) as member:
                self._check_npy_header(member, name, shape, dtype)
                array = np.empty(shape, dtype=dtype)  # the size was checked against the limits already
                if member.tell() + array.nbytes != info.file_size:
                    raise self.fail(f"array {name!r}: its member holds {info.file_size - member.tell()} data bytes, "
                                    f"but shape {list(shape)} of {dtype} needs {array.nbytes}")
                _read_into(member, array)
                if member.read(1):
                    raise self.fail(f"array {name!r} has bytes after its data")
        except ModelFormatError:
            raise
        except _DAMAGED as error:
            raise self.fail(f"array {name!r} cannot be read: {type(error).__name__}: {error}") from error
        if array.dtype == np.bool_:  # any byte but 0 and 1 would make a bool that is neither
            np.not_equal(array.view(np.uint8), 0, out=array)
        return array

    def _check_npy_header(self, member: IO[bytes], name: str, shape: tuple[int, ...], dtype: str) -> None:
        magic = member.read(8)
        if magic[:6] != _NPY_MAGIC or magic[6:] not in (b"\x01\x00", b"\x02\x00"):
            raise self.fail(f"array {name!r} is not a .npy member of version 1.0 or 2.0")
        length_format = "<H" if magic[6] == 1 else "<I"
        length = struct.unpack(length_format, member.read(struct.calcsize(length_format)))[0]
        if length > self.limits.max_npy_header_bytes:
            raise self.fail(f"array {name!r} has a .npy header of {length} bytes, more than the limit of "
                            f"{self.limits.max_npy_header_bytes}")
        text = member.read(length)
        try:
            fields = ast.literal_eval(text.decode("latin1"))
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError) as error:
            raise self.fail(f"array {name!r} has an unreadable .npy header: {error}") from error
        expected = {"descr": npy_descr(dtype), "fortran_order": False, "shape": shape}
        if not isinstance(fields, dict) or fields != expected:
            raise self.fail(f"array {name!r}: header.json declares {dtype} of shape {list(shape)} (C order), but the "
                            f".npy header says {str(fields)[:200]}")


def _read_into(member: IO[bytes], array: np.ndarray[Any, Any]) -> None:
    """Fill ``array`` from ``member`` in chunks, so that no second full-size buffer is made."""
    if array.nbytes == 0:
        return
    view = memoryview(array.reshape(-1).view(np.uint8))  # type: ignore[arg-type]
    position = 0
    while position < len(view):
        chunk = member.read(min(_CHUNK, len(view) - position))
        if not chunk:
            raise EOFError(f"the data end after {position} of {len(view)} bytes")
        view[position : position + len(chunk)] = chunk
        position += len(chunk)


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON (non-finite numbers are written as {{'$float': ...}})")


def _finite_float(text: str) -> float:
    """A JSON number as a float; one too large for a float (``1e400``, which ``float`` makes inf) is refused."""
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"the number {text[:40]} is too large for a float (non-finite numbers are written as "
                         f"{{'$float': ...}})")
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r:.80} appears twice in one object")
        result[key] = value
    return result
