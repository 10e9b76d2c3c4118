"""Weight initializers, looked up by name in the ``initializers`` registry; formulas as ``torch.nn.init``.

An initializer is called as ``init(shape, rng=rng, dtype=dtype)`` and returns a new array; layers resolve
theirs in ``build`` with ``resolve``, which takes a name, a config dict, an instance or a plain function.

PyTorch's default for ``nn.Linear`` and ``nn.Conv*d`` is ``DEFAULT_WEIGHT``,
``KaimingUniform(a=math.sqrt(5))``, i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), for the weight *and* the bias;
the bias is drawn with the weight's fan_in:

    init = resolve(DEFAULT_WEIGHT)
    weight = init((out_features, in_features), rng=rng, dtype=dtype)
    bias = init((out_features,), rng=rng, dtype=dtype, fan_in=in_features)   # fan_in of the weight

```python
import numpy as np
resolve("he_normal")((3, 2), rng=np.random.default_rng(0), dtype=np.float32).dtype
```
dtype('float32')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from nnfs_core.initializers._base import BaseInitializer, FunctionInitializer, calculate_gain, compute_fans
from nnfs_core.initializers.constant import Constant
from nnfs_core.initializers.kaiming_normal import KaimingNormal
from nnfs_core.initializers.kaiming_uniform import KaimingUniform
from nnfs_core.initializers.lecun_normal import LecunNormal
from nnfs_core.initializers.normal import Normal
from nnfs_core.initializers.ones import Ones
from nnfs_core.initializers.orthogonal import Orthogonal
from nnfs_core.initializers.uniform import Uniform
from nnfs_core.initializers.xavier_normal import XavierNormal
from nnfs_core.initializers.xavier_uniform import XavierUniform
from nnfs_core.initializers.zeros import Zeros

__all__ = [
    "DEFAULT_WEIGHT",
    "BaseInitializer",
    "FunctionInitializer",
    "resolve",
    "compute_fans",
    "calculate_gain",
    "Constant",
    "KaimingNormal",
    "KaimingUniform",
    "LecunNormal",
    "Normal",
    "Ones",
    "Orthogonal",
    "Uniform",
    "XavierNormal",
    "XavierUniform",
    "Zeros",
]

#: PyTorch's Linear/Conv default, for weights and (with the weight's ``fan_in=``) biases. Do not mutate it.
DEFAULT_WEIGHT: dict[str, Any] = {"name": "kaiming_uniform", "a": math.sqrt(5)}


def resolve(spec: Any) -> BaseInitializer:
    """An initializer from a registered name, a ``{"name": ..., **arguments}`` dict, an instance, a class, or a
    plain function ``f(shape, rng, dtype) -> array`` (wrapped in ``FunctionInitializer``).

    Unknown names raise ``ComponentNotFoundError`` listing the available ones.
    """
    from nnfs_core import registry

    if isinstance(spec, BaseInitializer):
        return spec
    if isinstance(spec, (str, Mapping)) or (isinstance(spec, type) and issubclass(spec, BaseInitializer)) or (
            callable(spec) and not isinstance(spec, type)):
        return registry.initializers.resolve(spec, wrap=FunctionInitializer)
    raise TypeError(
        f"an initializer is a name ('kaiming_uniform'), a config dict, an initializer instance or a function "
        f"f(shape, rng, dtype); got {spec!r}"
    )
