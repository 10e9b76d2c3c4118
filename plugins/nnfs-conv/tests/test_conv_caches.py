"""What backward needs belongs to the forward call that made it: calls in between change no gradient.

Two silent-gradient hazards reproduced: MaxPool2D kept its argmax in a shared workspace (a ``predict``
during the training step overwrote it), and Conv2D kept a view of a reused buffer as its saved input (any
forward in between overwrote it).
"""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core.protocols import BaseLayer, run_backward, run_forward


@pytest.mark.parametrize("case", range(3))
def test_conv_an_inference_forward_between_forward_and_backward_changes_no_gradient(conv_name, conv_cases,
                                                                                    conv_build, case):
    config, shape = conv_cases(conv_name, 3, seed=21)[case]
    rng = np.random.default_rng(11)
    x, other = rng.standard_normal((5, *shape)), rng.standard_normal((5, *shape)) * 3
    results = []
    for interleave in (False, True):
        layer = conv_build(conv_name, config, shape)
        y, cache = run_forward(layer, x, training=True)
        if interleave:
            layer.forward(other)  # an inference call (a callback, another thread) on the same layer
        grad_x = run_backward(layer, np.cos(y), cache)
        results.append((y, grad_x, {key: value.copy() for key, value in layer.grads.items()}))
    (y0, dx0, grads0), (y1, dx1, grads1) = results
    np.testing.assert_array_equal(y1, y0)
    np.testing.assert_allclose(dx1, dx0, rtol=1e-12, atol=1e-12)
    for key in grads0:
        np.testing.assert_allclose(grads1[key], grads0[key], rtol=1e-12, atol=1e-12, err_msg=key)


class _PredictDuringTraining(BaseLayer):
    """Identity that, in a training forward, runs ``network.predict`` on other data (as a callback might)."""

    network: Network | None = None
    other: np.ndarray | None = None

    def forward_pass(self, x, *, training=False):
        if training and self.network is not None:
            self.network.predict(self.other, batch_size=len(x))
        return x, None

    def backward_pass(self, grad, cache):
        return grad


@pytest.mark.parametrize("first", [
    [{"name": "dense", "output_size": 6}, {"name": "max_pool2d", "kernel_size": 2}],
    [{"name": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1}],
    [{"name": "conv2d", "out_channels": 3, "kernel_size": 3, "stride": 2}, {"name": "max_pool2d", "kernel_size": 2}],
])
def test_conv_a_predict_inside_a_training_step_changes_no_gradient(first):
    rng = np.random.default_rng(5)
    x, other = rng.standard_normal((8, 2, 6, 6)), rng.standard_normal((8, 2, 6, 6)) * 4
    y = rng.integers(0, 3, 8)
    grads = []
    for interleave in (False, True):
        spy = _PredictDuringTraining()
        net = Network([*first, "flatten", {"name": "dense", "output_size": 3}, spy], optimizer="sgd",
                      loss="cross_entropy", input_shape=(2, 6, 6), dtype="float64", seed=0).build()
        spy.network, spy.other = (net if interleave else None), other
        net.train_on_batch(x, y)
        grads.append([value.copy() for layer in net.layers for value in layer.grads.values()])
    for plain, interleaved in zip(*grads):
        np.testing.assert_allclose(interleaved, plain, rtol=1e-12, atol=1e-12)


# The kit's "used twice in one model" check runs only on layers whose output has their input's shape, which
# the default examples of most of these layers do not keep; these configurations do, so it runs on each.
SHAPE_KEEPING = [
    ("conv2d", {"out_channels": 3, "kernel_size": 3, "padding": 1}, (3, 5, 6)),
    ("conv2d", {"out_channels": 4, "kernel_size": (2, 3), "padding": "same", "dilation": 2, "groups": 2,
                "padding_mode": "reflect"}, (4, 6, 5)),
    ("conv1d", {"out_channels": 3, "kernel_size": 3, "padding": "same", "padding_mode": "circular"}, (3, 7)),
    ("depthwise_conv2d", {"kernel_size": 3, "padding": 1}, (2, 5, 5)),
    ("conv_transpose2d", {"out_channels": 2, "kernel_size": 3, "padding": 1}, (2, 5, 4)),
    ("conv_transpose2d", {"out_channels": 2, "kernel_size": (3, 5), "padding": (1, 2), "groups": 2}, (2, 4, 5)),
    ("max_pool2d", {"kernel_size": 3, "stride": 1, "padding": 1}, (2, 5, 6)),
    ("max_pool1d", {"kernel_size": 3, "stride": 1, "padding": 1}, (2, 7)),
    ("avg_pool2d", {"kernel_size": 3, "stride": 1, "padding": 1, "count_include_pad": False}, (2, 5, 6)),
    ("avg_pool1d", {"kernel_size": 3, "stride": 1, "padding": 1}, (2, 7)),
    ("adaptive_avg_pool2d", {"output_size": (5, 6)}, (2, 5, 6)),
    ("zero_pad2d", {"padding": (1, -1, -1, 1)}, (2, 5, 6)),
    ("constant_pad2d", {"padding": (1, -1, 0, 0), "value": 0.5}, (2, 5, 6)),
    ("up_sampling2d", {"scale_factor": 1.0, "mode": "bilinear"}, (2, 5, 6)),
]


@pytest.mark.parametrize("name, config, shape", SHAPE_KEEPING,
                         ids=[f"{name}-{index}" for index, (name, _, _) in enumerate(SHAPE_KEEPING)])
def test_conv_a_shape_keeping_layer_passes_the_used_twice_and_cache_checks(name, config, shape):
    from nnfs_core import registry
    from nnfs_core.testing import check_layer

    layer = registry.layers.create(name, **config)
    assert layer.build(shape, rng=np.random.default_rng(0), dtype=np.float64) == shape  # so the check runs
    check_layer(registry.layers.create(name, **config), input_shape=shape)
