"""The conformance kit: the checks every nnfs component must pass, for pack authors and nnfs itself.

```python
from nnfs_core.testing import check_layer, gradcheck
check_layer(MyLayer(4))  # raises ConformanceError listing failures
check_distribution("my-nnfs-pack")  # [] when every component conforms
```
"""

from nnfs_core.testing._common import ConformanceError
from nnfs_core.testing._runner import (
    check_layer,
    check_loss,
    check_optimizer,
    check_scheduler,
    checks_for,
    parametrize_with_checks,
)
from nnfs_core.testing.backends import forced_split
from nnfs_core.testing.distribution import check_component, check_distribution, check_entries
from nnfs_core.testing.gradcheck import GradientCheckError, gradcheck
from nnfs_core.testing.onnx import check_onnx_export

__all__ = [
    "ConformanceError",
    "GradientCheckError",
    "check_component",
    "check_distribution",
    "check_entries",
    "check_layer",
    "check_loss",
    "check_onnx_export",
    "check_optimizer",
    "check_scheduler",
    "checks_for",
    "forced_split",
    "gradcheck",
    "parametrize_with_checks",
]
