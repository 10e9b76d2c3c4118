"""Repository-wide pytest configuration."""

from __future__ import annotations

import os


def pytest_configure(config):  # noqa: ARG001
    # In the reference session a missing PyTorch must fail loudly, not skip every comparison.
    if os.environ.get("NNFS_REQUIRE_TORCH") == "1":
        import torch  # noqa: F401
    # In the tests session ONNX export must be tested, not skipped for a missing onnx or onnxruntime.
    if os.environ.get("NNFS_REQUIRE_ONNX") == "1":
        import onnx  # noqa: F401
        import onnxruntime  # noqa: F401
