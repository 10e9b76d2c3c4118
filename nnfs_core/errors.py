"""The nnfs exception tree.

Every error nnfs raises on purpose derives from ``NNFSError`` and from the built-in exception a
Python user would expect (a missing component is a ``KeyError``, a bad shape a ``ValueError``), so both
``except NNFSError`` and ``except KeyError`` work. Messages name the component, what it expected and what
it got.
"""

from __future__ import annotations

__all__ = [
    "NNFSError",
    "ComponentNotFoundError",
    "ComponentConflictError",
    "PluginLoadError",
    "ShapeError",
    "ModelFormatError",
    "TrainingDivergedError",
    "ConfigError",
    "ExportError",
]


class NNFSError(Exception):
    """Base class of every error nnfs raises on purpose."""


class ComponentNotFoundError(NNFSError, KeyError):
    """No component of the requested kind has that name."""

    def __str__(self) -> str:
        # KeyError's str() would wrap the message in quotes; show it as written.
        return str(self.args[0]) if self.args else ""


class ComponentConflictError(NNFSError, LookupError):
    """Two installed distributions provide a component under the same name."""


class PluginLoadError(NNFSError, ImportError):
    """A pack's entry point could not be imported; only that pack's names are affected."""


class ShapeError(NNFSError, ValueError):
    """An array's shape does not fit what a layer, loss or the network expects."""


class ModelFormatError(NNFSError, ValueError):
    """A model file is malformed, truncated, hostile or of an unknown format version."""


class TrainingDivergedError(NNFSError, FloatingPointError):
    """The loss became NaN or infinite during training."""


class ConfigError(NNFSError, ValueError):
    """A configuration (dict, TOML file, argument) is invalid; the message names the key."""


class ExportError(NNFSError, ValueError):
    """A network cannot be exported (a layer has no exporter, or a setting the target format cannot express);
    the message names the layer's path and what to do."""
