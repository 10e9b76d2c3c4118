"""ModelCheckpoint: save checkpoints during training, to resume from with ``fit(resume_from=...)``."""

from __future__ import annotations

import contextlib
import math
import os
import re
import string
import sys
import warnings
from collections.abc import Collection
from typing import Any

from nnfs_core.hookspecs import hookimpl
from nnfs_core.protocols import BaseCallback
from nnfs_core.validation import check_choice, check_int

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(BaseCallback):
    """Write a checkpoint every ``every_n_epochs`` epochs and/or every ``every_n_batches`` batches.

    A checkpoint holds everything ``Network.fit`` needs to continue exactly where it stopped (see
    ``fit(resume_from=...)``); it is also a model file that ``Network.load`` reads. Files are written
    atomically, so a crash never leaves a damaged checkpoint behind.

    Parameters
    ----------
    filepath : str
        Where to write; may contain ``{epoch}`` (epochs done), ``{batch}`` (batches done in the next
        epoch), ``{step}`` (batches done in total) and, at epoch ends, any log key (``{val_loss:.4f}``):
        ``"ckpt/{epoch:03d}-{batch:05d}.nnfs"``. Without placeholders every save replaces one file.
    every_n_epochs : int or None
        Save after every n-th epoch; None for no epoch-end saves.
    every_n_batches : int or None
        Save after every n-th batch (counted over the whole run); None for no mid-epoch saves.
    keep_last : int, optional
        Keep only the newest ``keep_last`` files this callback wrote (older ones are deleted).
    save_best_only : bool
        Save only when ``monitor`` improved on the best value so far.
    monitor : str
        The log key ``save_best_only`` watches (``"val_loss"``, ``"loss"``, ``"val_accuracy"``).
    mode : {"auto", "min", "max"}
        Whether lower or higher is better; ``auto`` means max for accuracies, min otherwise.
    include_optimizer : bool
        Save optimizer and scheduler state (needed to resume exactly).
    verbose : int
        1 prints a line per saved file.
    """

    rank_zero_only = True  # prints or writes: on rank 0 alone under a multi-process strategy

    def __init__(self, filepath: str, *, every_n_epochs: int | None = 1, every_n_batches: int | None = None,
                 keep_last: int | None = None, save_best_only: bool = False, monitor: str = "val_loss",
                 mode: str = "auto", include_optimizer: bool = True, verbose: int = 0) -> None:
        check_choice("ModelCheckpoint", "mode", mode, ("auto", "min", "max"))
        for name, value in (("every_n_epochs", every_n_epochs), ("every_n_batches", every_n_batches),
                            ("keep_last", keep_last)):
            if value is not None:
                check_int("ModelCheckpoint", name, value)
        if every_n_epochs is None and every_n_batches is None:
            raise ValueError("ModelCheckpoint: give every_n_epochs or every_n_batches (or both)")
        self.filepath = os.fspath(filepath)
        self.every_n_epochs = every_n_epochs
        self.every_n_batches = every_n_batches
        self.keep_last = keep_last
        self.save_best_only = bool(save_best_only)
        self.monitor = monitor
        self.mode = mode
        self.include_optimizer = bool(include_optimizer)
        self.verbose = int(verbose)
        self.best: float | None = None
        self.saved: list[str] = []
        self._restored = False
        self._steps = 1

    # -- state, so that a resumed run keeps its best value and its rotation --------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"best": self.best, "saved": list(self.saved)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the best value and the files to rotate; only files this callback's scheme can name are kept.

        The list comes from a checkpoint, which may have been edited or moved with its run: each entry is
        taken by its file name into this callback's own directory (a copied run rotates its copies, not the
        original's files), and an entry its naming scheme could not have made is dropped, never deleted.
        """
        best, saved = state["best"], state["saved"]
        if not isinstance(saved, list) or not all(isinstance(path, str) for path in saved):
            raise ValueError(f"ModelCheckpoint: the saved files must be a list of paths, got {str(saved)[:80]}")
        self.best = None if best is None else float(best)
        self.saved = [path for path in map(self._here, saved) if self.owns(path)]
        self._restored = True

    def _here(self, path: str) -> str:
        """``path`` moved into this callback's directory, when that directory has no placeholder."""
        directory = os.path.dirname(self.filepath)
        return path if "{" in directory else os.path.join(directory, os.path.basename(path))

    def owns(self, path: str) -> bool:
        """Whether ``path`` is one this callback's ``filepath`` can format to (its directory, its naming)."""
        return _scheme(self.filepath).fullmatch(os.path.abspath(path)) is not None

    def writes_into(self, directory: str) -> bool:
        """Whether every file of this callback goes into ``directory`` (its directory has no placeholder)."""
        own = os.path.dirname(self.filepath)
        return "{" not in own and os.path.abspath(own or ".") == os.path.abspath(directory)

    # -- checks before training ------------------------------------------------------------------------------
    def check_filepath(self, log_keys: Collection[str]) -> None:
        """Raise ``ConfigError`` now if saving would fail later.

        ``log_keys`` are the keys of a fit's epoch logs (``loss``, metric names, ``val_...``); the mid-epoch
        saves only have the batch's (no ``val_``). The file's directory is created here if needed.
        """
        from nnfs_core.errors import ConfigError

        epoch_keys = set(log_keys)
        batch_keys = {key for key in log_keys if not key.startswith("val_")} | {"size"}
        allowed = {"epoch", "batch", "step"} | (
            (epoch_keys if self.every_n_epochs is not None else batch_keys)
            & (batch_keys if self.every_n_batches is not None else epoch_keys))
        try:
            used = {_field_key(name) for _, name, _, _ in string.Formatter().parse(self.filepath) if name is not None}
        except ValueError as error:
            raise ConfigError(f"ModelCheckpoint: filepath {self.filepath!r} is not a valid format string: {error}") \
                from error
        unknown = sorted(used - allowed)
        if unknown:
            when = "mid-epoch saves (every_n_batches) only have" if self.every_n_batches is not None else "it may use"
            raise ConfigError(f"ModelCheckpoint: filepath {self.filepath!r} uses {', '.join(map(repr, unknown))}, but "
                              f"{when} {', '.join(sorted(allowed))}")
        try:
            self.filepath.format(**{**dict.fromkeys(log_keys, 0.5), "size": 1, "epoch": 1, "batch": 1, "step": 1})
        except (KeyError, IndexError, ValueError, TypeError) as error:
            raise ConfigError(f"ModelCheckpoint: cannot fill in filepath {self.filepath!r}: {error}") from error
        # The deepest directory that does not depend on a placeholder must exist or be creatable.
        _check_directory(os.path.dirname(self.filepath.split("{", 1)[0]) or ".", self.filepath)

    # -- hooks ------------------------------------------------------------------------------------------------
    def on_fit_start(self, network: Any, steps_per_epoch: int) -> None:
        # A mistake in the file name or directory is found now, not after the first epoch's work.
        resolved = getattr(network, "_resolved_metrics", None)
        names = ["loss", *(metric.name for metric in (resolved() if callable(resolved) else ()))]
        self.check_filepath([*names, *(f"val_{name}" for name in names)])
        self._steps = steps_per_epoch
        if not self._restored:
            self.best, self.saved = None, []
        self._restored = False

    # trylast: the checkpoint must see the step's effects of every other callback (History's new epoch, the
    # scheduler's step), or a run resumed from it would miss them.
    @hookimpl(trylast=True)
    def on_batch_end(self, network: Any, epoch: int, batch: int, logs: dict[str, float]) -> None:
        if self.every_n_batches is None:
            return
        step = epoch * self._steps + batch + 1
        if step % self.every_n_batches == 0:
            self._save(network, epoch, batch + 1, logs)

    @hookimpl(trylast=True)
    def on_epoch_end(self, network: Any, epoch: int, logs: dict[str, float]) -> None:
        if self.every_n_epochs is not None and (epoch + 1) % self.every_n_epochs == 0:
            self._save(network, epoch + 1, 0, logs)

    # -- saving -----------------------------------------------------------------------------------------------
    def _higher_is_better(self) -> bool:
        return self.mode == "max" or (self.mode == "auto" and "acc" in self.monitor)

    def _improved(self, logs: dict[str, float]) -> bool:
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"ModelCheckpoint monitors {self.monitor!r}, which is not in the logs {sorted(logs)}; "
                          f"nothing saved (pass validation data or monitor='loss')", UserWarning, stacklevel=3)
            return False
        if math.isnan(value):
            return False
        if self.best is not None and (value <= self.best if self._higher_is_better() else value >= self.best):
            return False
        self.best = float(value)
        return True

    def _save(self, network: Any, epoch: int, batch: int, logs: dict[str, float]) -> None:
        from nnfs_core.persistence import save_checkpoint

        if self.save_best_only and not self._improved(logs):
            return
        try:
            path = self.filepath.format(epoch=epoch, batch=batch, step=epoch * self._steps + batch, **logs)
        except (KeyError, IndexError, ValueError) as error:
            raise ValueError(f"ModelCheckpoint: cannot fill in filepath {self.filepath!r} ({error}); it may use "
                             f"{{epoch}}, {{batch}}, {{step}} and the keys of the logs {sorted(logs)}") from error
        directory = os.path.dirname(path)
        if directory:
            os.makedirs(directory, exist_ok=True)
        # Saved first: if the save fails, every earlier checkpoint is still there to resume from.
        saved = [*(old for old in self.saved if old != path), path]
        stale = saved[: -self.keep_last] if self.keep_last is not None else []
        self.saved = saved[len(stale):]
        save_checkpoint(network, path, epoch=epoch, batch=batch, include_optimizer=self.include_optimizer)
        for old in stale:
            if self.owns(old) and os.path.isfile(old):
                with contextlib.suppress(OSError):
                    os.remove(old)
        if self.verbose:
            print(f"ModelCheckpoint: saved {path} ({epoch} epochs and {batch} batches done)", file=sys.stderr)

    def get_config(self) -> dict[str, Any]:
        return {"filepath": self.filepath, "every_n_epochs": self.every_n_epochs,
                "every_n_batches": self.every_n_batches, "keep_last": self.keep_last,
                "save_best_only": self.save_best_only, "monitor": self.monitor, "mode": self.mode,
                "include_optimizer": self.include_optimizer, "verbose": self.verbose}


_COUNTERS = ("epoch", "batch", "step", "size")
_NUMBER = r"[-+]?(?:[0-9][0-9_,]*(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?%?|[-+]?(?:nan|inf)"


def _scheme(filepath: str) -> re.Pattern[str]:
    """The absolute paths ``filepath`` can format to: its literal text, and for each field what the field
    can give - digits for ``{epoch}``, ``{batch}``, ``{step}``, a number for a log value (``{val_loss:.4f}``)."""
    parts = []
    for literal, field, _, _ in string.Formatter().parse(os.path.abspath(filepath)):
        parts.append(re.escape(literal))
        if field is not None:
            parts.append(r"[0-9]+" if _field_key(field) in _COUNTERS else f"(?:{_NUMBER})")
    return re.compile("".join(parts))


def _field_key(field: str) -> str:
    """The argument a replacement field reads: ``"val_loss"`` of ``"val_loss"``, ``"a"`` of ``"a.b[0]"``."""
    for separator in ".[":
        field = field.split(separator, 1)[0]
    return field


def _check_directory(directory: str, filepath: str) -> None:
    """Create ``directory`` if needed and make sure files can be written into it."""
    from nnfs_core.errors import ConfigError

    try:
        os.makedirs(directory, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"ModelCheckpoint: cannot create the directory {directory!r} of filepath {filepath!r}: "
                          f"{error.strerror or error}") from error
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ConfigError(f"ModelCheckpoint: the directory {directory!r} of filepath {filepath!r} is not writable")
