"""The single source of nnfs-core's version (read by setuptools and by ``nnfs --version``)."""

__version__ = "0.1.0"
