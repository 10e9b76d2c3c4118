"""Shape inference, ShapeError messages, constructor checks and the geometry PyTorch defines."""

from __future__ import annotations

import numpy as np
import pytest
from nnfs_conv import (
    AdaptiveAvgPool2D,
    AvgPool2D,
    Conv1D,
    Conv2D,
    ConvTranspose2D,
    DepthwiseConv2D,
    GlobalAvgPool2D,
    MaxPool1D,
    MaxPool2D,
    UpSampling2D,
    ZeroPad2D,
)

from nnfs_core.errors import ShapeError


def built(layer, shape, dtype=np.float64):
    output = layer.build(shape, rng=np.random.default_rng(0), dtype=dtype)
    return layer, output


@pytest.mark.parametrize(("layer", "shape", "expected"), [
    (Conv2D(8, 3), (3, 28, 28), (8, 26, 26)),
    (Conv2D(8, (3, 5), stride=(2, 1), padding=(1, 2)), (3, 9, 7), (8, 5, 7)),
    (Conv2D(4, 4, padding="same"), (2, 7, 6), (4, 7, 6)),
    (Conv2D(4, (2, 3), padding="same", dilation=(3, 2)), (2, 5, 8), (4, 5, 8)),
    (Conv2D(4, 3, padding="valid", dilation=2, stride=3), (1, 11, 12), (4, 3, 3)),
    (Conv2D(6, 3, groups=3), (3, 5, 5), (6, 3, 3)),
    (Conv2D(2, 3, stride=5), (1, 10, 10), (2, 2, 2)),  # stride larger than the kernel
    (Conv1D(5, 3, stride=2, padding=1), (2, 10), (5, 5)),
    (Conv1D(5, 4, padding="same"), (2, 9), (5, 9)),
    (DepthwiseConv2D(3, depth_multiplier=2, padding=1), (4, 6, 5), (8, 6, 5)),
    (ConvTranspose2D(3, 3, stride=2, padding=1, output_padding=1), (2, 4, 5), (3, 8, 10)),
    (ConvTranspose2D(3, (2, 4), stride=(3, 1), dilation=(1, 2)), (2, 2, 3), (3, 5, 9)),
    (MaxPool2D(2), (3, 28, 28), (3, 14, 14)),
    (MaxPool2D(3, stride=2, ceil_mode=True), (1, 6, 6), (1, 3, 3)),
    (MaxPool2D(3, stride=2), (1, 6, 6), (1, 2, 2)),
    (MaxPool2D(2, stride=2, padding=1, ceil_mode=True), (1, 5, 5), (1, 3, 3)),
    (AvgPool2D((2, 3), stride=(1, 2), padding=(1, 0)), (2, 5, 7), (2, 6, 3)),
    (MaxPool1D(2, stride=3, dilation=2), (2, 11), (2, 3)),
    (GlobalAvgPool2D(), (5, 3, 4), (5,)),
    (AdaptiveAvgPool2D((3, None)), (2, 7, 5), (2, 3, 5)),
    (ZeroPad2D((1, 2, -1, 0)), (1, 4, 4), (1, 3, 7)),
    (UpSampling2D((2, 1.5)), (1, 3, 5), (1, 6, 7)),
])
def test_conv_build_returns_the_output_shape_forward_produces(layer, shape, expected):
    layer, output = built(layer, shape)
    assert output == expected
    y = layer.forward(np.zeros((2, *shape)))
    assert y.shape == (2, *expected)


def test_conv_same_padding_with_an_even_kernel_pads_the_bottom_right():
    """PyTorch puts the odd row/column of padding last: with a kernel of 2, out[i] = x[i] w0 + x[i + 1] w1."""
    layer, _ = built(Conv2D(1, 2, padding="same", use_bias=False), (1, 3, 3))
    layer.params["weight"][...] = 1.0
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    y = layer.forward(x)[0, 0]
    assert y[0, 0] == 0 + 1 + 3 + 4
    assert y[2, 2] == 8  # only x[2, 2]: the padding is below and to the right


@pytest.mark.parametrize(("layer", "shape", "words"), [
    (Conv2D(4, 5), (3, 4, 9), ["Conv2D", "(3, 4, 9)", "height 4", "kernel's extent 5", "empty"]),
    (Conv2D(4, 3, dilation=(1, 4)), (3, 9, 8), ["width 8", "extent 9", "empty"]),
    (Conv1D(4, 3, stride=2), (3, 2), ["Conv1D", "length 2", "empty"]),
    (MaxPool2D(3), (2, 2, 8), ["MaxPool2D", "(2, 2, 8)", "height 2", "window 3", "empty"]),
    (ConvTranspose2D(2, 1, padding=1), (1, 2, 5), ["ConvTranspose2D", "height 2", "empty"]),
    (UpSampling2D(0.5), (1, 1, 4), ["UpSampling2D", "height 1", "empty"]),
    (ZeroPad2D((0, 0, -2, -2)), (1, 4, 4), ["ZeroPad2D", "crops away"]),
])
def test_conv_empty_output_is_a_shape_error_naming_layer_input_and_reason(layer, shape, words):
    with pytest.raises(ShapeError) as caught:
        built(layer, shape)
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize(("layer", "shape", "layout"), [
    (Conv2D(4, 3), (3, 8), "(C, H, W)"),
    (Conv1D(4, 3), (3, 8, 8), "(C, L)"),
    (MaxPool2D(2), (8,), "(C, H, W)"),
    (GlobalAvgPool2D(), (3, 4, 4, 4), "(C, H, W)"),
    (UpSampling2D(2), (4, 4), "(C, H, W)"),
])
def test_conv_wrong_rank_is_a_shape_error(layer, shape, layout):
    with pytest.raises(ShapeError) as caught:
        built(layer, shape)
    assert f"{type(layer).__name__} expects samples of shape {layout}" in str(caught.value)
    assert str(shape) in str(caught.value)


def test_conv_forward_checks_the_batch_against_the_built_shape():
    layer, _ = built(Conv2D(4, 3), (3, 8, 8))
    with pytest.raises(ShapeError, match=r"Conv2D expects input \(N, C, H, W\) = \(N, 3, 8, 8\).*\(2, 2, 8, 8\)"):
        layer.forward(np.zeros((2, 2, 8, 8)))
    with pytest.raises(ShapeError, match=r"\(8, 8\)"):
        layer.forward(np.zeros((8, 8)))


def test_conv_groups_must_divide_the_input_channels():
    with pytest.raises(ShapeError, match="groups=2.*divisible by 2.*3 channels"):
        built(Conv2D(4, 3, groups=2), (3, 8, 8))


def test_conv_reflect_padding_wider_than_the_input_is_refused_at_build():
    with pytest.raises(ShapeError, match="reflect"):
        built(Conv2D(1, 3, padding=3, padding_mode="reflect"), (1, 3, 8))


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Conv2D(3, 3, groups=2), "out_channels .3. must be divisible by groups .2."),
    (lambda: Conv2D(3, 3, padding="same", stride=2), "padding='same' needs stride 1"),
    (lambda: Conv2D(3, 3, padding="full"), "padding must be 'same', 'valid'"),
    (lambda: Conv2D(3, 0), "kernel_size must be >= 1"),
    (lambda: Conv2D(3, (3, 3, 3)), "kernel_size must be an int or a tuple of 2"),
    (lambda: Conv2D(3, 3, padding_mode="mirror"), "padding_mode must be one of"),
    (lambda: Conv1D(3, (3, 3)), "kernel_size must be an int or a tuple of 1"),
    (lambda: ConvTranspose2D(3, 3, stride=2, output_padding=2), "output_padding 2 must be smaller"),
    (lambda: MaxPool2D(3, padding=2), "at most half of the kernel"),
    (lambda: AvgPool2D(2, padding=(0, 2)), "at most half of the kernel"),
    (lambda: UpSampling2D(0), "scale_factor must be a positive number"),
    (lambda: UpSampling2D(2, mode="bicubic"), "mode must be one of"),
    (lambda: ZeroPad2D((1, 2, 3)), r"\(left, right, top, bottom\)"),
    (lambda: AdaptiveAvgPool2D((1, 2, 3)), "output_size must be an int or a pair"),
])
def test_conv_constructors_check_their_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_conv_config_keeps_the_arguments_as_given():
    layer = Conv2D(8, (3, 5), stride=2, padding=[1, 2], groups=2, padding_mode="circular")
    config = layer.get_config()
    assert config == {"out_channels": 8, "kernel_size": [3, 5], "stride": 2, "padding": [1, 2], "dilation": 1,
                      "groups": 2, "use_bias": True, "padding_mode": "circular"}
    assert Conv2D(**config).get_config() == config


def test_up_sampling_builds_within_its_declared_cost():
    """Building holds at most 3 float32 values per declared value: the load budget's bound (a fuzz case)."""
    import tracemalloc

    layer = UpSampling2D((283.0, 570), mode="nearest")
    held, _ = layer.build_cost((4, 4, 300))
    UpSampling2D((3.0, 5), mode="nearest").build((4, 4, 30), rng=np.random.default_rng(0), dtype=np.float32)
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        layer.build((4, 4, 300), rng=np.random.default_rng(0), dtype=np.float32)
        peak = tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()
    assert peak <= 3 * 4 * held + 2**16
