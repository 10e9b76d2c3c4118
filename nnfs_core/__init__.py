"""nnfs: a deep-learning framework in pure NumPy, extended by packs found through entry points."""

from nnfs_core import errors, registry
from nnfs_core._version import __version__
from nnfs_core.network import Network
from nnfs_core.plugin_api import PLUGIN_API

__all__ = ["__version__", "PLUGIN_API", "Network", "errors", "registry"]
