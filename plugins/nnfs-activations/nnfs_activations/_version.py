"""The single source of nnfs-activations' version (read by setuptools)."""

__version__ = "0.1.0"
