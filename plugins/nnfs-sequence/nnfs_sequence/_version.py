"""The single source of nnfs-sequence's version (read by setuptools)."""

__version__ = "0.1.0"
