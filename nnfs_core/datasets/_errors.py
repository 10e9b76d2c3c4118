"""What goes wrong when finding, reading or downloading a dataset.

Each error is an ``NNFSError`` and an ``OSError`` (files and networks fail as
``OSError`` in Python), and names the file or URL and what was wrong with it.
"""

from __future__ import annotations

from nnfs_core.errors import NNFSError

__all__ = ["DatasetError", "DatasetNotFoundError", "DatasetFormatError", "ChecksumError", "DownloadError"]


class DatasetError(NNFSError, OSError):
    """A dataset cannot be found, read or downloaded."""

    def __str__(self) -> str:
        # OSError's str() of several arguments would read "[Errno a] b"; show the message as written.
        return str(self.args[0]) if self.args else ""


class DatasetNotFoundError(DatasetError, FileNotFoundError):
    """The dataset's files are in none of the places looked at, and no download URL is configured."""


class DatasetFormatError(DatasetError):
    """A dataset file is malformed: bad magic number, dimensions, counts, size or compression."""


class ChecksumError(DatasetError):
    """A downloaded file's SHA-256 digest is not the expected one (the file is deleted)."""


class DownloadError(DatasetError):
    """A download failed: the server could not be reached, answered an error, or sent too little."""
