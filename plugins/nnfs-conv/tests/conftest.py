"""What the pack's tests share: its registered names and random (config, input shape) cases for each.

The names come from the installed entry points, so a layer is tested the moment it is registered; a
registered name without a case sampler here fails the registry test instead of being skipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nnfs_core import registry
from nnfs_core.errors import ShapeError

PACK = "nnfs-conv"


def pack_names() -> list[str]:
    """The layer names this pack's distribution registers, as installed."""
    return sorted(entry.name for entry in registry.layers.entries()
                  if registry.normalize(entry.distribution) == registry.normalize(PACK))


def _int(rng: np.random.Generator, low: int, high: int) -> int:
    return int(rng.integers(low, high + 1))


def _pair(rng: np.random.Generator, low: int, high: int, *, square: float = 0.3) -> Any:
    """An int (sometimes) or a non-square tuple."""
    first = _int(rng, low, high)
    return first if rng.random() < square else (first, _int(rng, low, high))


def _conv(rng: np.random.Generator, one_d: bool) -> tuple[dict[str, Any], tuple[int, ...]]:
    groups = int(rng.choice([1, 1, 2, 3]))
    config: dict[str, Any] = {"out_channels": groups * _int(rng, 1, 3), "groups": groups}
    config.update(_geometry(rng, one_d, stride_max=3))
    config["use_bias"] = bool(rng.random() < 0.8)
    config["padding_mode"] = str(rng.choice(["zeros", "zeros", "reflect", "replicate", "circular"]))
    return config, _image(rng, groups * _int(rng, 1, 3), one_d)


def _geometry(rng: np.random.Generator, one_d: bool, stride_max: int) -> dict[str, Any]:
    pick = (lambda low, high: _int(rng, low, high)) if one_d else (lambda low, high: _pair(rng, low, high))
    config = {"kernel_size": pick(1, 4), "stride": pick(1, stride_max), "dilation": pick(1, 2)}
    choice = rng.random()
    if choice < 0.25:
        config["padding"], config["stride"] = "same", 1
    elif choice < 0.35:
        config["padding"] = "valid"
    else:
        config["padding"] = pick(0, 2)
    return config


def _image(rng: np.random.Generator, channels: int, one_d: bool) -> tuple[int, ...]:
    return (channels, _int(rng, 3, 9)) if one_d else (channels, _int(rng, 3, 9), _int(rng, 3, 9))


def _pool(rng: np.random.Generator, one_d: bool, is_max: bool) -> tuple[dict[str, Any], tuple[int, ...]]:
    pick = (lambda low, high: _int(rng, low, high)) if one_d else (lambda low, high: _pair(rng, low, high))
    kernel = pick(1, 4)
    sizes = (kernel,) if isinstance(kernel, int) else kernel
    config: dict[str, Any] = {"kernel_size": kernel, "ceil_mode": bool(rng.random() < 0.4)}
    if rng.random() < 0.7:
        config["stride"] = pick(1, 4)
    if is_max and rng.random() < 0.3:
        config["dilation"] = pick(1, 2)
    if rng.random() < 0.5:
        half = [size // 2 for size in sizes]
        config["padding"] = _int(rng, 0, min(half)) if isinstance(kernel, int) else tuple(_int(rng, 0, h) for h in half)
    if not is_max:
        config["count_include_pad"] = bool(rng.random() < 0.5)
        if not one_d and rng.random() < 0.15:
            config["divisor_override"] = _int(rng, 1, 5)
    return config, _image(rng, _int(rng, 1, 3), one_d)


def sample_case(name: str, rng: np.random.Generator) -> tuple[dict[str, Any], tuple[int, ...]]:
    """A random (constructor arguments, per-sample input shape) for the registered ``name``."""
    key = registry.normalize(name)
    channels = _int(rng, 1, 3)
    if key in ("conv2d", "conv1d"):
        return _conv(rng, one_d=key == "conv1d")
    if key == "convtranspose2d":
        groups = int(rng.choice([1, 1, 2]))
        config = {"out_channels": groups * _int(rng, 1, 3), "kernel_size": _pair(rng, 1, 4), "stride": _pair(rng, 1, 3),
                  "padding": _pair(rng, 0, 2), "dilation": _pair(rng, 1, 2), "groups": groups,
                  "use_bias": bool(rng.random() < 0.8)}
        strides = config["stride"] if isinstance(config["stride"], tuple) else (config["stride"],) * 2
        dilations = config["dilation"] if isinstance(config["dilation"], tuple) else (config["dilation"],) * 2
        config["output_padding"] = tuple(_int(rng, 0, max(s, d) - 1) for s, d in zip(strides, dilations))
        return config, (groups * _int(rng, 1, 2), _int(rng, 1, 5), _int(rng, 1, 5))
    if key == "depthwiseconv2d":
        config = _geometry(rng, one_d=False, stride_max=2)
        config.update(depth_multiplier=_int(rng, 1, 2), use_bias=bool(rng.random() < 0.8))
        return config, _image(rng, channels, one_d=False)
    if key in ("maxpool2d", "avgpool2d", "maxpool1d", "avgpool1d"):
        return _pool(rng, one_d=key.endswith("1d"), is_max=key.startswith("max"))
    if key in ("globalavgpool2d", "globalmaxpool2d"):
        return {}, (channels, _int(rng, 1, 6), _int(rng, 1, 6))
    if key == "adaptiveavgpool2d":
        height, width = _int(rng, 1, 9), _int(rng, 1, 9)
        output = (_int(rng, 1, 2 * height), None if rng.random() < 0.2 else _int(rng, 1, 2 * width))
        return {"output_size": output if rng.random() < 0.7 else _int(rng, 1, 5)}, (channels, height, width)
    if key in ("zeropad2d", "constantpad2d"):
        padding = tuple(_int(rng, -1, 3) for _ in range(4)) if rng.random() < 0.7 else _int(rng, 0, 2)
        config = {"padding": padding} | ({"value": float(rng.normal())} if key == "constantpad2d" else {})
        return config, (channels, _int(rng, 3, 7), _int(rng, 3, 7))
    if key == "upsampling2d":
        factors = [0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
        factor = float(rng.choice(factors)) if rng.random() < 0.5 else tuple(float(rng.choice(factors)) for _ in "hw")
        return {"scale_factor": factor, "mode": str(rng.choice(["nearest", "bilinear"]))}, \
            (channels, _int(rng, 2, 6), _int(rng, 2, 6))
    raise KeyError(f"no case sampler for the registered layer {name!r}: add one to tests/conftest.py")


def buildable_cases(name: str, count: int, seed: int) -> list[tuple[dict[str, Any], tuple[int, ...]]]:
    """``count`` sampled cases whose layer builds (samples giving an empty output are drawn again)."""
    rng = np.random.default_rng(seed)
    cases: list[tuple[dict[str, Any], tuple[int, ...]]] = []
    for _ in range(count * 50):
        config, shape = sample_case(name, rng)
        try:
            registry.layers.create(name, **config).build(shape, rng=np.random.default_rng(0), dtype=np.float64)
        except ShapeError:
            continue
        cases.append((config, shape))
        if len(cases) == count:
            return cases
    raise AssertionError(f"{name}: could not sample {count} buildable cases")


def build(name: str, config: dict[str, Any], shape: tuple[int, ...], dtype: Any = np.float64) -> Any:
    layer = registry.layers.create(name, **config)
    layer.build(shape, rng=np.random.default_rng(0), dtype=dtype)
    return layer


@pytest.fixture
def conv_cases():
    """``conv_cases(name, count, seed)``: buildable random cases of a registered layer."""
    return buildable_cases


@pytest.fixture
def conv_build():
    """``conv_build(name, config, shape, dtype)``: a layer created through the registry and built (seed 0)."""
    return build


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "conv_name" in metafunc.fixturenames:
        metafunc.parametrize("conv_name", pack_names())
