"""CSVLogger: one row per epoch, flushed as it is written."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from nnfs_core.protocols import BaseCallback

__all__ = ["CSVLogger"]


class CSVLogger(BaseCallback):
    """Write ``epoch`` and every log value to ``filename`` after each epoch.

    Each row is flushed as soon as it is written, so a crash loses at most the running epoch.
    With ``append=True`` rows are added to an existing file (e.g. when resuming).
    """

    rank_zero_only = True  # prints or writes: on rank 0 alone under a multi-process strategy

    def __init__(self, filename: str, *, separator: str = ",", append: bool = False) -> None:
        self.filename = str(filename)
        self.separator = separator
        self.append = bool(append)
        self._file: Any = None

    def on_fit_start(self) -> None:
        path = Path(self.filename)
        self._write_header = not (self.append and path.exists() and path.stat().st_size > 0)
        self._file = path.open("a" if self.append else "w", newline="", encoding="utf-8")
        self._writer: Any = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        row = {"epoch": epoch, **logs}
        if self._writer is None:
            self._writer = csv.DictWriter(self._file, fieldnames=list(row), delimiter=self.separator)
            if self._write_header:
                self._writer.writeheader()
        self._writer.writerow(row)
        self._file.flush()

    def on_fit_end(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
