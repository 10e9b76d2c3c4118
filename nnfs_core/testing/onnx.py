"""``check_onnx_export``: a layer (or a whole network) exported to ONNX computes what ``Network.predict`` does.

```python
from nnfs_core.testing import check_onnx_export
check_onnx_export(MyLayer(4), input_shape=(6,))   # raises ConformanceError when onnxruntime disagrees
```

Needs onnx and onnxruntime (``pip install 'nnfs-core[onnx]' onnxruntime``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.testing._common import ConformanceError, fresh, instance
from nnfs_core.testing._layer_checks import batch, input_shape_of

__all__ = ["check_onnx_export", "run_onnx"]


def run_onnx(model: Any, x: Any) -> Any:
    """Run an ``onnx.ModelProto`` exported by nnfs on ``x`` in onnxruntime (CPU); its ``output``."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1  # tests run beside others on small machines; one thread is plenty
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return session.run(["output"], {"input": x})[0]


def _randomised(network: Any, seed: int) -> None:
    """Parameters moved off their initial values and state made non-trivial (BatchNorm's running statistics
    start at 0 and 1, its weight at 1: an exporter that dropped them would pass otherwise)."""
    rng = np.random.default_rng(seed)
    for _, value in network.named_parameters():
        value += (0.2 * rng.standard_normal(value.shape)).astype(value.dtype)
    for _, value in network.named_state():
        if value.dtype.kind == "f":
            value[...] = np.abs(value) + rng.uniform(0.5, 1.5, value.shape).astype(value.dtype)


def check_onnx_export(component: Any, input_shape: tuple[int, ...] | None = None, *, opset: int | None = None,
                      batch_size: int = 3, rtol: float = 1e-5, atol: float = 1e-5, seed: int = 0,
                      x: Any = None, randomize: bool | None = None) -> Any:
    """Export ``component`` to ONNX, run it in onnxruntime and compare with ``Network.predict``; the model.

    ``component`` is a layer or activation (an instance, or a class made with its ``example_args``), put
    alone in a float32 `Network` for samples of ``input_shape`` (default: its ``example_input_shape``) with
    its parameters and state randomised (unless ``randomize=False``), or a built `Network`, exported as it
    is (``randomize=True`` randomises its parameters and state in place first: a network fresh from its
    config has BatchNorm's running statistics at 0 and 1, which would hide an exporter that drops them).
    The input is ``x``, or
    ``batch_size`` samples of the layer's ``example_input`` (integer ids for an embedding) or normal floats.
    Raises `ConformanceError` naming the component and the largest difference.
    """
    from nnfs_core.network import Network
    from nnfs_core.onnx import DEFAULT_OPSET, export_model

    if isinstance(component, Network):
        network, name = component, "the network"
        if x is None:
            raise ConformanceError("check_onnx_export(network) needs the input x to compare on")
        if randomize:
            _randomised(network, seed + 1)
    else:
        layer = instance(component)
        if input_shape is not None:
            layer._nnfs_check_input_shape = tuple(input_shape)
        name = type(layer).__name__
        network = Network([fresh(layer)], input_shape=input_shape_of(layer), seed=seed)
        network.build()
        if randomize is not False:
            _randomised(network, seed + 1)
        if x is None:
            x = batch(layer, n=batch_size, dtype=np.float32, seed=seed + 2)
    x = np.asarray(x, dtype=network.input_dtype)
    model = export_model(network, opset=DEFAULT_OPSET if opset is None else opset)
    expected = network.predict(x)
    got = run_onnx(model, x)
    if got.shape != expected.shape or got.dtype != expected.dtype:
        raise ConformanceError(f"{name}: onnxruntime gives {got.dtype} {got.shape}, Network.predict "
                               f"{expected.dtype} {expected.shape}")
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        worst = float(np.max(np.abs(got.astype(np.float64) - expected)))
        raise ConformanceError(f"{name}: the ONNX model's outputs differ from Network.predict by up to {worst:.3g} "
                               f"(allowed: {atol} + {rtol} * |expected|)")
    return model
