"""The single source of nnfs-conv's version (read by setuptools)."""

__version__ = "0.1.0"
