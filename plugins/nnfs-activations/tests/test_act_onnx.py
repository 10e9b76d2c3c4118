"""Every activation exports to ONNX and onnxruntime computes what Network.predict does (1e-5, float32).

Skipped without onnx and onnxruntime, except under NNFS_REQUIRE_ONNX=1 (the nox tests session).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from nnfs_core import Network, registry  # noqa: E402
from nnfs_core.testing import check_onnx_export  # noqa: E402

PACK = sorted(entry.name for entry in registry.activations.entries() if entry.distribution == "nnfs-activations")
VARIANTS = [
    ({"name": "leaky_relu", "negative_slope": 0.3}, (2, 5)),
    ({"name": "prelu", "num_parameters": 3, "init": 0.1}, (3, 4, 4)),
    ({"name": "prelu", "num_parameters": 4}, (4,)),
    ({"name": "elu", "alpha": 0.5}, (6,)),
    ({"name": "celu", "alpha": 2.0}, (6,)),
    ({"name": "gelu", "approximate": "tanh"}, (2, 6)),
    ({"name": "hard_tanh", "min_val": -0.5, "max_val": 2.0}, (6,)),
    ({"name": "softplus", "beta": 2.0, "threshold": 3.0}, (8,)),
    ({"name": "softmax", "axis": 1}, (3, 4)),
    ({"name": "log_softmax", "axis": -2}, (3, 4)),
]


@pytest.mark.parametrize("name", PACK)
def test_every_activation_exports(name):
    assert name in registry.onnx_exporters
    x = np.random.default_rng(0).normal(scale=4.0, size=(4, 2, 6)).astype(np.float32)  # both sides of every kink
    check_onnx_export(registry.activations.create(name), (2, 6), x=None)
    layer = registry.activations.create(name)
    net = Network([layer], input_shape=(2, 6), seed=0).build()
    check_onnx_export(net, x=x)


@pytest.mark.parametrize("case", VARIANTS, ids=[str(config) for config, _ in VARIANTS])
def test_activation_settings_export(case):
    config, shape = case
    x = np.random.default_rng(1).normal(scale=3.0, size=(3, *shape)).astype(np.float32)
    layer = registry.activations.create(config)
    check_onnx_export(layer, shape)
    check_onnx_export(Network([registry.activations.create(config)], input_shape=shape, seed=0).build(), x=x)


def test_a_dense_activation_and_a_shared_layer_export_with_their_weights_under_their_paths():
    from nnfs_core.layers.dense import Dense

    shared = Dense(5, activation="tanh")
    net = Network([Dense(5, activation="relu"), {"name": "sequential", "layers": [shared, "gelu", shared]},
                   Dense(2, activation={"name": "softmax"})], input_shape=(4,), seed=3).build()
    x = np.random.default_rng(0).normal(size=(6, 4)).astype(np.float32)
    model = check_onnx_export(net, x=x)
    names = [tensor.name for tensor in model.graph.initializer if "weight" in tensor.name or "bias" in tensor.name]
    assert names == ["layers.0.weight", "layers.0.bias", "layers.1.0.weight", "layers.1.0.bias", "layers.2.weight",
                     "layers.2.bias"]  # the shared layer's weights once, under its first path
