"""Cutting a text into windows of character ids: what a character-level corpus loader shares."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.datasets import Split
from nnfs_core.errors import ConfigError
from nnfs_core.text import CharVocabulary
from nnfs_core.validation import check_choice, check_int

TARGETS = ("sequence", "next")


def check_window_options(owner: str, window: Any, stride: Any, target: Any) -> tuple[int, int, str]:
    """``(window, stride, target)`` checked, stride defaulting to the window (windows that do not overlap)."""
    try:
        window = check_int(owner, "window", window)
        stride = window if stride is None else check_int(owner, "stride", stride)
        target = check_choice(owner, "target", target, TARGETS)
    except (TypeError, ValueError) as error:
        raise ConfigError(str(error)) from None
    return window, stride, target


def windows(text: str, vocabulary: CharVocabulary, *, window: int, stride: int, target: str, where: str) -> Split:
    """Windows of ``window`` ids starting every ``stride`` characters, and what each should predict.

    x int64 (N, window); y int64 (N, window), the same window one character later (``target="sequence"``:
    step t predicts character t + 1), or (N,), the character after the window (``target="next"``).
    """
    ids = vocabulary.encode(text)
    count = (len(ids) - window - 1) // stride + 1 if len(ids) > window else 0
    if count < 1:
        raise ConfigError(f"{where}: a text of {len(ids)} characters holds no window of {window} characters and "
                          f"the one after it; use a smaller window")
    starts = np.arange(count) * stride
    x = ids[starts[:, None] + np.arange(window)]
    y = ids[starts[:, None] + np.arange(1, window + 1)] if target == "sequence" else ids[starts + window]
    return Split(x, y)
