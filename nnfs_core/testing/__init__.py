"""The conformance kit for nnfs components (for pack authors and for nnfs's own tests)."""

from nnfs_core.testing.distribution import check_entries
from nnfs_core.testing.gradcheck import GradientCheckError, gradcheck

__all__ = ["gradcheck", "GradientCheckError", "check_entries"]
