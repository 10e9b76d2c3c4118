"""Kept for packs built against the first release, which imported these from here; use nnfs_core.validation."""

from __future__ import annotations

from nnfs_core.validation import check_choice, check_int, check_positive

__all__ = ["check_positive", "check_int", "check_choice"]
