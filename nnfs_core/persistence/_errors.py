"""The errors and warnings of loading a model file, beyond ``nnfs_core.errors``."""

from __future__ import annotations

from nnfs_core.errors import ComponentNotFoundError, ModelFormatError

__all__ = ["MissingComponentError", "VersionMismatchWarning", "NameClashWarning", "LoadBudgetWarning"]


class MissingComponentError(ComponentNotFoundError, ModelFormatError):
    """A model file names a component whose pack is not installed (or not registered in this process).

    Both a ``ComponentNotFoundError`` (a ``KeyError``) and a
    ``ModelFormatError``: the file cannot be loaded here, and ``except
    ModelFormatError`` around a load sees every reason a file was refused. The message names the pack
    and the version the file was saved with.
    """


class VersionMismatchWarning(UserWarning):
    """A component's pack (or nnfs-core) is installed in another version than the file was saved with."""


class NameClashWarning(UserWarning):
    """A component the file names is provided by several installed distributions; the file's record chose."""


class LoadBudgetWarning(UserWarning):
    """A model being saved will not load with the default limits (its cost exceeds the load budget).

    The file is written; the message says which layer exceeds what, and how to load the file you trust
    (``LoadLimits(check_architecture=False)``, ``--trust-file`` on the command line).
    """
