"""The pack's own tests: the nnfs conformance kit over every component, and training by name."""

from __future__ import annotations

import numpy as np
import pytest
from nnfs_example_pack import FeatureScale

from nnfs_core import Network, registry
from nnfs_core.testing import check_distribution, check_onnx_export, parametrize_with_checks

DISTRIBUTION = "nnfs-example-pack"


@parametrize_with_checks([FeatureScale(), FeatureScale(init=0.5)])
def test_conformance(component, check):
    check(component)


def test_every_entry_point_of_the_pack_conforms():
    assert check_distribution(DISTRIBUTION) == []


def test_a_network_uses_it_by_name():
    @registry.optimizers.register("example_pack_sgd", override=True)
    class PlainSGD:  # the core ships no optimizer; a tiny one keeps this test free of nnfs-optim
        learning_rate = 0.1

        def step(self, params, grads):
            for param, grad in zip(params, grads):
                param -= self.learning_rate * grad

    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x * np.array([2.0, -1.0, 0.5], np.float32)
    net = Network(layers=["feature_scale"], optimizer="example_pack_sgd", loss="mse", seed=0)
    net.fit(x, y, epochs=40, batch_size=16, verbose=0)
    np.testing.assert_allclose(net.layers[0].params["weight"], [2.0, -1.0, 0.5], atol=1e-3)
    registry.optimizers.unregister("example_pack_sgd")


def test_it_exports_to_onnx():
    pytest.importorskip("onnx")
    pytest.importorskip("onnxruntime")  # pip install 'nnfs-core[onnx]' onnxruntime to run it
    check_onnx_export(FeatureScale(init=0.5), (2, 3))  # onnxruntime computes what Network.predict does
