"""Every nnfs-conv layer against the PyTorch module of the same meaning: forward, input and parameter gradients.

Selected by ``-m reference`` (the nox ``reference`` session). Skipped without PyTorch, except where
NNFS_REQUIRE_TORCH=1 (set by that session) makes the repository's conftest fail instead. Each layer is
compared on 200 seeded random configurations drawn by ``tests/conftest.py``'s sampler; a coverage check
makes sure the draws include the cases that are easy to get wrong (stride larger than the kernel, "same"
padding with even kernels, dilation, groups, ceil_mode, count_include_pad, non-square geometry, each
padding mode).
"""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest

from nnfs_core import registry

pytestmark = [pytest.mark.reference,
              pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths:UserWarning")]
torch = pytest.importorskip("torch")
nn = torch.nn

CONFIGS_PER_LAYER = 200
TOLERANCE = 1e-5


def _conv_kwargs(config: dict[str, Any]) -> dict[str, Any]:
    names = ("stride", "padding", "dilation", "groups", "padding_mode")
    return {key: config[key] for key in names if key in config} | {"bias": config.get("use_bias", True)}


def torch_module(name: str, config: dict[str, Any], shape: tuple[int, ...]) -> Any:
    """The ``torch.nn`` module computing what ``registry.layers.create(name, **config)`` computes."""
    key, channels = registry.normalize(name), shape[0]
    if key in ("conv2d", "conv1d"):
        module = nn.Conv2d if key == "conv2d" else nn.Conv1d
        return module(channels, config["out_channels"], config["kernel_size"], **_conv_kwargs(config))
    if key == "depthwiseconv2d":
        multiplier = config.get("depth_multiplier", 1)
        return nn.Conv2d(channels, channels * multiplier, config["kernel_size"], groups=channels,
                         **_conv_kwargs(config))
    if key == "convtranspose2d":
        extra = {k: config[k] for k in ("output_padding",) if k in config}
        return nn.ConvTranspose2d(channels, config["out_channels"], config["kernel_size"], **extra,
                                  **_conv_kwargs(config))
    if key in ("maxpool2d", "maxpool1d", "avgpool2d", "avgpool1d"):
        module = {"maxpool2d": nn.MaxPool2d, "maxpool1d": nn.MaxPool1d, "avgpool2d": nn.AvgPool2d,
                  "avgpool1d": nn.AvgPool1d}[key]
        return module(**config)
    if key == "globalavgpool2d":
        return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())
    if key == "globalmaxpool2d":
        return nn.Sequential(nn.AdaptiveMaxPool2d(1), nn.Flatten())
    if key == "adaptiveavgpool2d":
        return nn.AdaptiveAvgPool2d(config["output_size"])
    if key == "zeropad2d":
        return nn.ZeroPad2d(config["padding"])
    if key == "constantpad2d":
        return nn.ConstantPad2d(config["padding"], config["value"])
    if key == "upsampling2d":
        return nn.Upsample(scale_factor=config["scale_factor"], mode=config["mode"])
    raise KeyError(f"no PyTorch counterpart written for {name!r}: add one to {__name__}")


def compare(name: str, config: dict[str, Any], shape: tuple[int, ...], layer: Any, seed: int) -> float:
    """Largest absolute difference over output, input gradient and parameter gradients; asserts each."""
    rng = np.random.default_rng(seed)
    module = torch_module(name, config, shape).double()
    with torch.no_grad():
        for key, value in layer.params.items():
            getattr(module, key).copy_(torch.from_numpy(value))
    x = rng.standard_normal((int(rng.integers(1, 4)), *shape))
    x_torch = torch.from_numpy(x.copy()).requires_grad_()
    y_torch = module(x_torch)
    y = layer.forward(x, training=True)
    upstream = rng.standard_normal(y.shape)
    y_torch.backward(torch.from_numpy(upstream))
    grad = layer.backward(upstream)
    pairs = [("output", y, y_torch.detach().numpy()), ("input gradient", grad, x_torch.grad.numpy())]
    pairs += [(f"gradient of {key!r}", layer.grads[key], getattr(module, key).grad.numpy()) for key in layer.params]
    worst = 0.0
    for what, ours, theirs in pairs:
        assert ours.shape == theirs.shape, f"{name}({config}) on {shape}: {what} shape {ours.shape} vs {theirs.shape}"
        error = float(np.max(np.abs(ours - theirs), initial=0.0))
        assert error <= TOLERANCE, f"{name}({config}) on samples of shape {shape}: {what} differs by {error:.3g}"
        worst = max(worst, error)
    return worst


def coverage(name: str, configs: list[dict[str, Any]]) -> set[str]:
    """The hard cases present among ``configs`` (see the module docstring)."""
    seen = set()
    for config in configs:
        kernel = np.atleast_1d(config.get("kernel_size", 1))
        stride = np.atleast_1d(config.get("stride", kernel))
        seen |= {"stride > kernel"} if np.any(stride > kernel) else set()
        if config.get("padding") == "same" and np.any(kernel % 2 == 0):
            seen.add("same, even kernel")
        seen |= {"dilation"} if np.any(np.atleast_1d(config.get("dilation", 1)) > 1) else set()
        seen |= {"groups"} if config.get("groups", 1) > 1 else set()
        seen |= {"ceil_mode"} if config.get("ceil_mode") else set()
        seen |= {"count_include_pad=False"} if config.get("count_include_pad") is False else set()
        seen |= {"non-square"} if any(isinstance(v, tuple) and len(set(v)) > 1 for v in config.values()) else set()
        seen.add(f"mode {config.get('padding_mode', 'zeros')}")
    return seen


EXPECTED_COVERAGE = {
    "conv2d": {"stride > kernel", "same, even kernel", "dilation", "groups", "non-square", "mode zeros", "mode reflect",
               "mode replicate", "mode circular"},
    "conv1d": {"stride > kernel", "same, even kernel", "dilation", "groups", "mode reflect", "mode circular"},
    "conv_transpose2d": {"stride > kernel", "dilation", "groups", "non-square"},
    "depthwise_conv2d": {"same, even kernel", "dilation", "non-square"},
    "max_pool2d": {"stride > kernel", "dilation", "ceil_mode", "non-square"},
    "avg_pool2d": {"stride > kernel", "ceil_mode", "count_include_pad=False", "non-square"},
    "max_pool1d": {"stride > kernel", "dilation", "ceil_mode"},
    "avg_pool1d": {"stride > kernel", "ceil_mode", "count_include_pad=False"},
}


def test_conv_matches_torch_on_random_configurations(conv_name, conv_cases, conv_build, record_property):
    cases = conv_cases(conv_name, CONFIGS_PER_LAYER, seed=zlib.crc32(conv_name.encode()))
    missing = EXPECTED_COVERAGE.get(conv_name, set()) - coverage(conv_name, [config for config, _ in cases])
    assert not missing, f"{conv_name}: the sampled configurations never include {sorted(missing)}"
    worst = 0.0
    for index, (config, shape) in enumerate(cases):
        worst = max(worst, compare(conv_name, config, shape, conv_build(conv_name, config, shape), seed=index))
    record_property("worst_abs_difference", worst)
    print(f"{conv_name}: {len(cases)} configurations, worst absolute difference {worst:.3g}")


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
@pytest.mark.parametrize("factor", [0.75, 1.25, 2.0, 2.5, 3.0, 4.0, (0.5, 3.0)])
def test_conv_upsampling_matches_torch_for_fractional_factors(mode, factor, conv_build):
    config = {"scale_factor": factor, "mode": mode}
    for index, shape in enumerate([(2, 5, 7), (1, 8, 3), (3, 4, 4)]):
        compare("up_sampling2d", config, shape, conv_build("up_sampling2d", config, shape), seed=index)


def test_conv_parameter_initialisation_has_torchs_bounds(conv_build):
    """U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias, fan_in as PyTorch computes it per layout."""
    cases = [("conv2d", {"out_channels": 64, "kernel_size": (3, 5), "groups": 2}, (4, 9, 9), 2 * 15),
             ("conv_transpose2d", {"out_channels": 64, "kernel_size": 3, "groups": 4}, (8, 5, 5), 16 * 9),
             ("conv1d", {"out_channels": 64, "kernel_size": 7}, (3, 9), 3 * 7)]
    for name, config, shape, fan_in in cases:
        layer = conv_build(name, config, shape, np.float32)
        reference = torch_module(name, config, shape)
        assert layer.params["weight"].shape == tuple(reference.weight.shape)
        bound = 1 / np.sqrt(fan_in)
        for value in layer.params.values():
            assert value.dtype == np.float32 and np.abs(value).max() <= bound
            assert np.abs(value).max() > 0.9 * bound  # spread over the whole interval
