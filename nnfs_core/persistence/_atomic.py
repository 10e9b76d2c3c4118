"""Atomic file replacement: readers see the old file or the new one, never a part of either."""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from collections.abc import Iterator
from typing import IO

__all__ = ["atomic_write", "TEMP_SUFFIX"]

TEMP_SUFFIX = ".tmp"
#: ``.<target name>.<pid of the writer>-<random>.tmp``: the scheme of this module's temporary files.
_TEMPORARY = re.compile(r"\.(?P<name>.+)\.(?P<pid>[0-9]+)-[a-z0-9_]+\.tmp")
#: A temporary file younger than this is never removed: its writer may run on another host (a shared disk).
STALE_AFTER_SECONDS = 60.0
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


def _running(pid: int) -> bool:
    """Whether a process ``pid`` exists here (True when that cannot be told)."""
    if os.name == "nt":  # os.kill would terminate the process there
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # it exists but is another user's, or the question is not allowed
        return True
    return True


def remove_stale_temporaries(directory: str) -> None:
    """Remove the temporary files of saves into ``directory`` whose process was killed (SIGKILL, power loss).

    Only files of this module's naming scheme are considered, and only those whose writer is not running
    and that were last written more than ``STALE_AFTER_SECONDS`` ago; nothing else is touched.
    """
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    now = time.time()
    for entry in entries:
        match = _TEMPORARY.fullmatch(entry.name)
        if match is None or int(match["pid"]) == os.getpid() or _running(int(match["pid"])):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False) and now - entry.stat(follow_symlinks=False).st_mtime > \
                    STALE_AFTER_SECONDS:
                os.unlink(entry.path)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """Write ``path`` through a temporary file in the same directory, then rename it into place.

    The temporary file is flushed and fsynced before ``os.replace`` (atomic on POSIX and Windows), and
    the directory is fsynced after it. If the block raises (or the process is interrupted), the temporary
    file is removed and ``path`` keeps its previous content. A process killed with SIGKILL mid-write leaves
    a ``.<name>.<pid>-*.tmp`` file beside the target, never a damaged target; a later save into that
    directory removes it (``remove_stale_temporaries``). An existing file's permission bits are kept.
    """
    target = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(target)
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = _default_mode()
    remove_stale_temporaries(directory)
    fd, temporary = tempfile.mkstemp(prefix=f".{name}.{os.getpid()}-", suffix=TEMP_SUFFIX, dir=directory)
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
