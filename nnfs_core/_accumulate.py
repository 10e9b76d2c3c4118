"""Gradient accumulation: one optimizer step per ``k`` batches (``Network.fit(accumulate=k)``).

Each batch's gradients are the mean over its samples, so their sum weighted by the batch sizes, divided by
the samples seen, is the mean over all ``k`` batches: the gradient of one batch ``k`` times larger, exactly,
for layers without batch statistics (BatchNorm normalises each small batch by its own statistics). The
strategy's average over processes, the clipping and the step then run once, on that mean. See
docs/training.md ("Gradient accumulation").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from nnfs_core._data import DataError

__all__ = ["GradientAccumulator", "check_accumulate"]

Array = np.ndarray[Any, Any]


def check_accumulate(accumulate: Any) -> int:
    """``accumulate`` as an int >= 1 (1: a step after every batch); ``DataError`` otherwise."""
    if isinstance(accumulate, bool) or not isinstance(accumulate, (int, np.integer)) or accumulate < 1:
        raise DataError(f"accumulate must be an integer >= 1 (batches per optimizer step), got {accumulate!r}")
    return int(accumulate)


class GradientAccumulator:
    """Sums of the gradients of the batches since the last step, weighted by their sizes.

    Parameters
    ----------
    grads : mapping or list of arrays
        The gradients the optimizer is handed (the layers' own arrays, filled by each backward).

    Attributes
    ----------
    samples : int
        Samples added since the last step (0 at a group's start).
    finite : bool
        Whether every loss since the last step was finite (a group with one non-finite batch takes no step).
    """

    def __init__(self, grads: Mapping[str, Array] | list[Array]) -> None:
        self._grads = list(grads.values()) if isinstance(grads, Mapping) else list(grads)
        self._sums = [np.zeros_like(grad) for grad in self._grads]
        self.samples = 0
        self.finite = True

    def add(self, size: int, finite: bool, *, step: bool) -> tuple[bool, bool]:
        """Add a batch of ``size`` samples whose gradients are in ``grads`` (computed only if its loss was
        ``finite``). With ``step`` (the loop says so after every ``accumulate``-th batch of an epoch and after
        its last) the mean over the group is written into ``grads`` and the sums start over.

        Returns ``(step, finite)``: whether the optimizer steps now, and whether the whole group was finite.
        """
        if finite and self.finite:
            first = self.samples == 0
            for total, grad in zip(self._sums, self._grads):
                if first:
                    np.multiply(grad, grad.dtype.type(size), out=total)
                else:
                    total += grad * grad.dtype.type(size)
        self.finite = self.finite and finite
        self.samples += size
        if not step:
            return False, self.finite
        finite = self.finite
        if finite:
            for total, grad in zip(self._sums, self._grads):
                np.divide(total, grad.dtype.type(self.samples), out=grad)
        self.samples, self.finite = 0, True
        return True, finite

    def state_dict(self) -> dict[str, Any]:
        """The running group, for a checkpoint written inside it: ``samples``, ``finite`` and the ``sums``."""
        return {"samples": self.samples, "finite": self.finite, "sums": [total.copy() for total in self._sums]}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore ``state_dict``'s output (a checkpoint of the same network); ``ValueError`` if it does not fit."""
        sums = state.get("sums")
        if not isinstance(sums, list) or len(sums) != len(self._sums) or any(
                np.shape(saved) != total.shape for saved, total in zip(sums, self._sums)):
            raise ValueError(f"the accumulated gradients do not fit this network's {len(self._sums)} trainable "
                             f"parameters; resume with the same layers, frozen layers and accumulate")
        for total, saved in zip(self._sums, sums):
            total[...] = saved
        self.samples, self.finite = int(state["samples"]), bool(state["finite"])
