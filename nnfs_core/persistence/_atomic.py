"""Atomic file replacement: readers see the old file or the new one, never a part of either."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from typing import IO

__all__ = ["atomic_write", "TEMP_SUFFIX"]

TEMP_SUFFIX = ".tmp"
_umask: int | None = None


def _default_mode() -> int:
    """The mode ``open(path, "w")`` would give a new file (0o666 minus the umask), read once."""
    global _umask
    if _umask is None:
        _umask = os.umask(0o022)  # reading the umask means setting it; put it straight back
        os.umask(_umask)
    return 0o666 & ~_umask


def _fsync_directory(directory: str) -> None:
    """Make the rename durable: on POSIX a directory entry is only on disk once the directory is synced."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except OSError:  # Windows cannot open directories; its rename is durable enough for NTFS
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Write ``path`` through a temporary file in the same directory, then rename it into place.

    The temporary file is flushed and fsynced before ``os.replace`` (atomic on POSIX and Windows), and
    the directory is fsynced after it. If the block raises (or the process is interrupted), the temporary
    file is removed and ``path`` keeps its previous content. A process killed with SIGKILL mid-write leaves
    a ``.<name>.*.tmp`` file beside the target, never a damaged target. An existing file's permission bits
    are kept.
    """
    target = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(target)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = _default_mode()
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.", suffix=TEMP_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "w+b") as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)
