"""The single source of nnfs-mpi's version (read by setuptools)."""

__version__ = "0.1.0"
