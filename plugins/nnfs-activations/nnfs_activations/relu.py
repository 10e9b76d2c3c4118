"""ReLU: the rectified linear unit."""

from __future__ import annotations

from typing import Any

from nnfs_core.protocols import Array, BaseLayer

__all__ = ["ReLU"]


class ReLU(BaseLayer):
    """y = max(x, 0), as ``torch.nn.ReLU``.

    dy/dx = 1 where x > 0 and 0 elsewhere, including at the kink x = 0 (PyTorch's convention); y > 0
    exactly where x > 0, so backward needs only the output. Shapes: any (N, ...) -> the same; the dtype is kept.
    """

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        y = self.ops.relu(x)
        return y, y

    def backward_pass(self, grad: Array, y: Any) -> Array:
        return self.ops.relu_backward(grad, y)
