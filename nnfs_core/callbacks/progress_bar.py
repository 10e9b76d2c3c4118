"""ProgressBar: one tqdm bar per epoch with the running loss and metrics."""

from __future__ import annotations

import sys
from typing import Any

from nnfs_core.protocols import BaseCallback

__all__ = ["ProgressBar"]


def _format(logs: dict[str, float]) -> dict[str, str]:
    return {key: f"{value:.4g}" for key, value in logs.items() if key != "size"}


class ProgressBar(BaseCallback):
    """Shows epoch, batches, rate, and the running mean of the loss and metrics (``fit(verbose=1)``).

    ``verbose=2`` prints one line per epoch instead of a live bar.
    """

    rank_zero_only = True  # prints or writes: on rank 0 alone under a multi-process strategy

    def __init__(self, verbose: int = 1) -> None:
        self.verbose = int(verbose)
        self._bar: Any = None

    def on_fit_start(self, epochs: int, steps_per_epoch: int) -> None:
        self._epochs, self._steps = epochs, steps_per_epoch

    def on_epoch_start(self, epoch: int) -> None:
        self._sums: dict[str, float] = {}
        self._seen = 0.0
        if self.verbose == 1:
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self._steps, desc=f"Epoch {epoch + 1}/{self._epochs}", unit="batch",
                             file=sys.stderr, dynamic_ncols=True, leave=True)

    def on_batch_end(self, logs: dict[str, float]) -> None:
        size = logs.get("size", 1)
        self._seen += size
        for key, value in logs.items():
            if key != "size":
                self._sums[key] = self._sums.get(key, 0.0) + value * size
        if self._bar is not None:
            self._bar.update(1)
            self._bar.set_postfix(_format({k: v / self._seen for k, v in self._sums.items()}), refresh=False)

    def on_epoch_end(self, epoch: int, logs: dict[str, float]) -> None:
        if self._bar is not None:
            self._bar.set_postfix(_format(logs))
            self._bar.close()
            self._bar = None
        elif self.verbose:
            text = " - ".join(f"{key}: {value}" for key, value in _format(logs).items())
            print(f"Epoch {epoch + 1}/{self._epochs} - {text}", file=sys.stderr)

    def on_fit_end(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def get_config(self) -> dict[str, Any]:
        return {"verbose": self.verbose}
