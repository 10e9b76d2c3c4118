"""Every nnfs-conv layer exports to ONNX and onnxruntime computes what Network.predict does (1e-5, float32):
convolutions with groups, strides, dilation, "same" and every padding mode, poolings with ceil_mode and
PyTorch's divisors, resampling and padding (negative sides crop).

Skipped without onnx and onnxruntime, except under NNFS_REQUIRE_ONNX=1 (the nox tests session).
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from nnfs_core import Network, registry  # noqa: E402
from nnfs_core.testing import check_onnx_export  # noqa: E402

CASES = [
    ({"name": "conv2d", "out_channels": 4, "kernel_size": 3}, (2, 7, 6)),
    ({"name": "conv2d", "out_channels": 4, "kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 2),
      "dilation": (1, 2), "groups": 2, "use_bias": False}, (4, 9, 8)),
    ({"name": "conv2d", "out_channels": 3, "kernel_size": 4, "padding": "same", "dilation": 2}, (2, 7, 7)),
    ({"name": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 2, "padding_mode": "reflect"}, (2, 6, 5)),
    ({"name": "conv2d", "out_channels": 3, "kernel_size": 3, "padding": 1, "padding_mode": "replicate",
      "stride": 2}, (2, 6, 5)),
    ({"name": "conv2d", "out_channels": 3, "kernel_size": (3, 2), "padding": (2, 1), "padding_mode": "circular"},
     (2, 5, 4)),
    ({"name": "conv1d", "out_channels": 4, "kernel_size": 3, "stride": 2, "padding": 1}, (3, 11)),
    ({"name": "conv1d", "out_channels": 2, "kernel_size": 2, "padding": "same", "padding_mode": "circular"}, (2, 6)),
    ({"name": "depthwise_conv2d", "kernel_size": 3, "depth_multiplier": 2, "padding": 1}, (3, 6, 6)),
    ({"name": "conv_transpose2d", "out_channels": 3, "kernel_size": 3, "stride": 2, "padding": 1,
      "output_padding": 1}, (2, 4, 5)),
    ({"name": "conv_transpose2d", "out_channels": 4, "kernel_size": (2, 3), "dilation": 2, "groups": 2}, (2, 3, 3)),
    ({"name": "max_pool2d", "kernel_size": 2}, (2, 6, 6)),
    ({"name": "max_pool2d", "kernel_size": 3, "stride": 2, "padding": 1, "dilation": (1, 2), "ceil_mode": True},
     (2, 8, 9)),
    ({"name": "avg_pool2d", "kernel_size": 2}, (2, 6, 6)),
    ({"name": "avg_pool2d", "kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True,
      "count_include_pad": False}, (2, 8, 7)),
    ({"name": "avg_pool2d", "kernel_size": (2, 3), "padding": (1, 1), "divisor_override": 4}, (1, 5, 6)),
    ({"name": "max_pool1d", "kernel_size": 3, "stride": 2, "ceil_mode": True}, (2, 10)),
    ({"name": "avg_pool1d", "kernel_size": 4, "stride": 3, "padding": 2, "count_include_pad": False}, (2, 11)),
    ({"name": "global_avg_pool2d"}, (3, 5, 4)),
    ({"name": "global_max_pool2d"}, (3, 5, 4)),
    ({"name": "adaptive_avg_pool2d", "output_size": (3, 2)}, (2, 7, 5)),
    ({"name": "adaptive_avg_pool2d", "output_size": [None, 4]}, (2, 5, 9)),
    ({"name": "zero_pad2d", "padding": 2}, (2, 3, 4)),
    ({"name": "zero_pad2d", "padding": (1, -1, 0, 2)}, (2, 3, 4)),
    ({"name": "constant_pad2d", "padding": (0, 2, 1, -1), "value": 1.5}, (2, 3, 4)),
    ({"name": "up_sampling2d", "scale_factor": 2}, (2, 3, 4)),
    ({"name": "up_sampling2d", "scale_factor": (1.5, 2.5), "mode": "bilinear"}, (2, 4, 3)),
    ({"name": "up_sampling2d", "scale_factor": 3, "mode": "nearest"}, (1, 2, 3)),
]


def _id(case):
    config, shape = case
    return f"{config['name']}-" + ",".join(f"{k}={v}" for k, v in config.items() if k != "name")


@pytest.mark.parametrize("case", CASES, ids=[_id(case) for case in CASES])
def test_conv_layers_export_to_what_predict_computes(case):
    config, shape = case
    check_onnx_export(registry.layers.create(config), shape)


def test_every_conv_layer_has_an_exporter_and_a_case():
    pack = {entry.name for entry in registry.layers.entries() if entry.distribution == "nnfs-conv"}
    assert pack == {config["name"] for config, _ in CASES}
    assert [name for name in sorted(pack) if name not in registry.onnx_exporters] == []


def test_a_small_cnn_exports_whole():
    pytest.importorskip("nnfs_activations")
    net = Network([{"name": "conv2d", "out_channels": 4, "kernel_size": 3, "padding": 1}, {"name": "batch_norm"},
                   "relu", {"name": "max_pool2d", "kernel_size": 2},
                   {"name": "residual", "body": [{"name": "conv2d", "out_channels": 4, "kernel_size": 3,
                                                  "padding": "same"}, "relu"]},
                   {"name": "global_avg_pool2d"}, {"name": "dense", "output_size": 3}],
                  input_shape=(1, 8, 8), seed=0).build()
    x = np.random.default_rng(0).normal(size=(5, 1, 8, 8)).astype(np.float32)
    check_onnx_export(net, x=x)
