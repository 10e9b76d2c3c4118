"""nnfs-example-pack: components for nnfs, registered through entry points (see pyproject.toml)."""

from nnfs_example_pack.feature_scale import FeatureScale

__all__ = ["FeatureScale"]
