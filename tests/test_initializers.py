"""The core's initializers: every registered one gives the right shape, dtype and statistics from the
Generator it is given; fans, gains, fan overrides, orthogonality, resolve() and argument checks."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnfs_core import initializers, registry
from nnfs_core.errors import ComponentNotFoundError, ConfigError, ShapeError
from nnfs_core.initializers import (
    DEFAULT_WEIGHT,
    BaseInitializer,
    KaimingNormal,
    KaimingUniform,
    Orthogonal,
    XavierUniform,
    calculate_gain,
    compute_fans,
    resolve,
)

SHAPE = (256, 96, 3, 3)  # 221,184 values: fan_in 864, fan_out 2304
FAN_IN, FAN_OUT = 96 * 9, 256 * 9
FANS = FAN_IN + FAN_OUT

# For each core initializer name: (constructor arguments, expected mean, expected std, bound or None), all
# for SHAPE and computed here from the published formulas. A core name missing here fails
# test_every_core_initializer_has_expectations.
UNIFORM_STD = 1 / math.sqrt(3)  # std of U(-b, b) is b / sqrt(3)
EXPECTED = {
    "zeros": ({}, 0.0, 0.0, 0.0),
    "ones": ({}, 1.0, 0.0, 1.0),
    "constant": ({"value": -0.25}, -0.25, 0.0, 0.25),
    "normal": ({"mean": 0.5, "std": 2.0}, 0.5, 2.0, None),
    "uniform": ({"low": -1.0, "high": 3.0}, 1.0, 4 / math.sqrt(12), 3.0),
    "xavier_uniform": ({}, 0.0, math.sqrt(6 / FANS) * UNIFORM_STD, math.sqrt(6 / FANS)),
    "glorot_uniform": ({"gain": 2.0}, 0.0, 2 * math.sqrt(2 / FANS), 2 * math.sqrt(6 / FANS)),
    "xavier_normal": ({}, 0.0, math.sqrt(2 / FANS), None),
    "glorot_normal": ({"gain": 5 / 3}, 0.0, 5 / 3 * math.sqrt(2 / FANS), None),
    # a=0 with leaky_relu: gain sqrt(2)
    "kaiming_uniform": ({}, 0.0, math.sqrt(2 / FAN_IN), math.sqrt(6 / FAN_IN)),
    "he_uniform": ({"mode": "fan_out", "nonlinearity": "relu"}, 0.0, math.sqrt(2 / FAN_OUT), math.sqrt(6 / FAN_OUT)),
    "kaiming_normal": ({}, 0.0, math.sqrt(2 / FAN_IN), None),
    "he_normal": ({"a": 0.2}, 0.0, math.sqrt(2 / 1.04 / FAN_IN), None),
    "lecun_normal": ({}, 0.0, math.sqrt(1 / FAN_IN), None),
    # orthonormal rows of length 864: mean square 1 / 864
    "orthogonal": ({"gain": 3.0}, 0.0, 3 / math.sqrt(FAN_IN), None),
}


def core_initializer_names():
    return [e.name for e in registry.initializers.entries() if registry.normalize(e.distribution) == "nnfscore"]


def make(name):
    return registry.initializers.create(name, **EXPECTED[name][0])


def test_every_core_initializer_has_expectations():
    assert set(core_initializer_names()) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_dtype_and_determinism(name, dtype):
    init = make(name)
    first = init((5, 4, 3), rng=np.random.default_rng(7), dtype=dtype)
    again = init((5, 4, 3), rng=np.random.default_rng(7), dtype=dtype)
    assert first.shape == (5, 4, 3) and first.dtype == dtype and np.isfinite(first).all()
    np.testing.assert_array_equal(first, again)
    other = init((5, 4, 3), rng=np.random.default_rng(8), dtype=dtype)
    assert np.array_equal(first, other) == (EXPECTED[name][2] == 0.0)  # only the constant ones repeat


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_only_the_given_generator_is_used(name):
    state = np.random.get_state()  # noqa: NPY002 - reading the legacy global state is the point
    rng = np.random.default_rng(3)
    before = rng.bit_generator.state
    make(name)((6, 5), rng=rng, dtype=np.float32)
    assert np.array_equal(np.random.get_state()[1], state[1])  # noqa: NPY002 - the global state is untouched
    if EXPECTED[name][2] != 0.0:
        assert rng.bit_generator.state != before  # and the random ones draw from rng


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_statistics_on_a_big_draw(name):
    _, mean, std, bound = EXPECTED[name]
    values = make(name)(SHAPE, rng=np.random.default_rng(0), dtype=np.float64)
    n = values.size
    assert values.mean() == pytest.approx(mean, abs=6 * std / math.sqrt(n) + 1e-12)
    assert values.std() == pytest.approx(std, rel=0.01, abs=1e-12)
    if bound is not None:
        assert np.abs(values).max() <= bound
        if std > 0:  # a big uniform draw comes close to its bound
            assert np.abs(values).max() >= 0.999 * bound


def test_float32_values_are_the_float64_draw_rounded():
    rng = np.random.default_rng
    for name in ("kaiming_uniform", "orthogonal", "normal"):
        init = resolve(name)
        wide = init((7, 5), rng=rng(1), dtype=np.float64)
        np.testing.assert_array_equal(init((7, 5), rng=rng(1), dtype=np.float32), wide.astype(np.float32))


# -- fans and gains ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("shape", "fans"),
    [((3,), (3, 3)), ((4, 5), (5, 4)), ((8, 3, 5, 5), (75, 200)), ((6, 2, 7), (14, 42)), ((2, 3, 1, 4, 5), (60, 40))],
)
def test_compute_fans(shape, fans):
    assert compute_fans(shape) == fans


def test_compute_fans_of_a_scalar_is_refused():
    with pytest.raises(ShapeError, match="fan_in"):
        compute_fans(())


@pytest.mark.parametrize(
    ("nonlinearity", "param", "gain"),
    [
        ("linear", None, 1.0), ("conv2d", None, 1.0), ("sigmoid", None, 1.0), ("tanh", None, 5 / 3),
        ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01**2))),
        ("leaky_relu", 0.0, math.sqrt(2)), ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)), ("selu", None, 0.75),
    ],
)
def test_calculate_gain(nonlinearity, param, gain):
    assert calculate_gain(nonlinearity, param) == pytest.approx(gain, rel=1e-15)


def test_calculate_gain_refuses_unknown_nonlinearities():
    with pytest.raises(ValueError, match="swish"):
        calculate_gain("swish")


def test_fan_overrides_give_pytorchs_bias_initialisation():
    init = resolve(DEFAULT_WEIGHT)
    assert isinstance(init, KaimingUniform) and init.a == pytest.approx(math.sqrt(5))
    assert init.bound((10, 16)) == pytest.approx(1 / 4)  # 1 / sqrt(fan_in)
    bias = init((50_000,), rng=np.random.default_rng(0), dtype=np.float64, fan_in=16)
    assert np.abs(bias).max() <= 0.25 and np.abs(bias).max() > 0.2499
    assert KaimingNormal(mode="fan_out").std((3, 4), fan_out=8) == pytest.approx(math.sqrt(2 / 8))
    assert XavierUniform().bound((3,), fan_in=2, fan_out=4) == pytest.approx(1.0)


@pytest.mark.parametrize("shape", [(8, 8), (5, 12), (12, 5), (6, 2, 3, 3), (4, 30)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    q = Orthogonal(gain=2.0)(shape, rng=np.random.default_rng(0), dtype=np.float64).reshape(shape[0], -1)
    rows, cols = q.shape
    gram = q @ q.T if rows <= cols else q.T @ q
    np.testing.assert_allclose(gram, 4 * np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_needs_a_matrix():
    with pytest.raises(ShapeError, match="2 or more dimensions"):
        Orthogonal()((5,), rng=np.random.default_rng(0))


def test_zero_sized_shapes_give_empty_arrays():
    for name in ("kaiming_uniform", "orthogonal", "zeros"):
        values = resolve(name)((0, 4), rng=np.random.default_rng(0), dtype=np.float32)
        assert values.shape == (0, 4) and values.dtype == np.float32


# -- resolve -----------------------------------------------------------------------------------------------------
def test_resolve_accepts_names_aliases_dicts_instances_and_classes():
    assert type(resolve("he_normal")) is KaimingNormal
    assert type(resolve("Glorot-Uniform")) is XavierUniform
    made = resolve({"name": "kaiming_uniform", "a": 1.0, "mode": "fan_out"})
    assert made.get_config() == {"a": 1.0, "mode": "fan_out", "nonlinearity": "leaky_relu"}
    instance = Orthogonal(0.5)
    assert resolve(instance) is instance
    assert type(resolve(Orthogonal)) is Orthogonal


def test_resolve_wraps_plain_functions():
    seen = []

    def halves(shape, rng, dtype):
        seen.append((shape, dtype))
        return np.full(shape, 0.5)

    init = resolve(halves)
    assert isinstance(init, BaseInitializer)
    values = init((2, 3), rng=np.random.default_rng(0), dtype=np.float32, fan_in=9)
    assert values.dtype == np.float32 and (values == 0.5).all() and seen == [((2, 3), np.float32)]
    with pytest.raises(ShapeError, match="returned shape"):
        resolve(lambda shape, rng, dtype: np.zeros(3))((2, 3), rng=np.random.default_rng(0))


def test_resolve_errors():
    with pytest.raises(ComponentNotFoundError, match="kaiming_uniform"):
        resolve("kaiming_uniforn")
    with pytest.raises(ConfigError, match="name"):
        resolve({"a": 1.0})
    with pytest.raises(ConfigError, match="kaiming_uniform"):
        resolve({"name": "kaiming_uniform", "slope": 1.0})
    with pytest.raises(TypeError, match="initializer"):
        resolve(3.0)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_config_round_trips_through_the_registry(name):
    init = make(name)
    config = registry.config_of(init)
    again = resolve(config)
    assert type(again) is type(init) and again.get_config() == init.get_config()
    rng = np.random.default_rng
    np.testing.assert_array_equal(again((4, 3), rng=rng(0)), init((4, 3), rng=rng(0)))


@pytest.mark.parametrize(
    ("factory", "kwargs", "error"),
    [
        (initializers.Normal, {"std": -1.0}, ValueError),
        (initializers.Uniform, {"low": 2.0, "high": 1.0}, ValueError),
        (initializers.Constant, {"value": "1"}, TypeError),
        (initializers.Constant, {"value": float("inf")}, TypeError),
        (KaimingUniform, {"mode": "fan_avg"}, ValueError),
        (KaimingNormal, {"nonlinearity": "swish"}, ValueError),
        (KaimingNormal, {"a": True}, TypeError),
        (XavierUniform, {"gain": -1.0}, ValueError),
        (Orthogonal, {"gain": "2"}, TypeError),
    ],
)
def test_constructors_validate_arguments(factory, kwargs, error):
    with pytest.raises(error, match=factory.__name__):
        factory(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "words"),
    [
        ({"dtype": np.int32}, TypeError, "floating"),
        ({"rng": 0}, TypeError, "Generator"),
        ({"fan_in": 0}, ValueError, "fan_in"),
        ({"fan_out": 2.5}, ValueError, "fan_out"),
    ],
)
def test_call_validates_its_arguments(kwargs, error, words):
    arguments = {"rng": np.random.default_rng(0), "dtype": np.float32, **kwargs}
    with pytest.raises(error, match=words):
        KaimingUniform()((3, 4), **arguments)
    with pytest.raises(ShapeError, match="shape"):
        KaimingUniform()((3, -4), rng=np.random.default_rng(0))
