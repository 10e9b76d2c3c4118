"""nnfs: a deep-learning framework in pure NumPy, extended by packs found through entry points."""

from nnfs_core import errors, registry
from nnfs_core._version import __version__
from nnfs_core.network import Network

__all__ = ["__version__", "Network", "errors", "registry"]
