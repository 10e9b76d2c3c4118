"""Repository-wide pytest configuration."""

from __future__ import annotations

import os


def pytest_configure(config):  # noqa: ARG001
    # In the reference session a missing PyTorch must fail loudly, not skip every comparison.
    if os.environ.get("NNFS_REQUIRE_TORCH") == "1":
        import torch  # noqa: F401
