"""Forward values and gradients: finite differences everywhere smooth, PyTorch's conventions at the kinks.

The expected numbers below were printed by PyTorch 2.13 (float64) once and are hard-coded, so that these
default tests run without it; ``reference/test_act_torch_reference.py`` compares with PyTorch live.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core.testing import gradcheck

# Every kink of every tested configuration: 0 (ReLU family), +-1 and -2, 0.5 (HardTanh), +-3 (hard
# sigmoid/swish), 6 (ReLU6), 2.5 and 20 (Softplus's threshold / beta). Finite differences straddling one
# would measure the average of two slopes, so sample points keep away from them.
KINKS = np.array([0.0, 1.0, -1.0, -2.0, 0.5, 3.0, -3.0, 6.0, 2.5, 20.0])
GAP = 1e-2


def away_from_kinks(x: np.ndarray) -> np.ndarray:
    near = np.abs(x[..., None] - KINKS).min(axis=-1) < GAP
    return np.where(near, x + 2 * GAP, x)


def spanning_input(seed: int, shape=(4, 3, 5)) -> np.ndarray:
    """Uniform in [-6, 6] plus a few large values (both tails, saturated regions, Softplus's linear part)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-6.0, 6.0, shape)
    flat = x.reshape(-1)
    flat[rng.choice(flat.size, 6, replace=False)] = [-40.0, -25.0, -10.0, 10.0, 25.0, 40.0]
    return away_from_kinks(x)


def test_spanning_input_avoids_the_kinks():
    x = spanning_input(0)
    assert np.abs(x[..., None] - KINKS).min() >= GAP and x.min() == -40 and x.max() == 40


@pytest.mark.parametrize("seed", [0, 1])
def test_gradients_match_finite_differences(act_case, make, seed):
    name, config = act_case
    layer = make(name, config)
    gradcheck(layer, spanning_input(seed))


def test_prelu_weight_gradient_sums_per_channel(make):
    layer = make("prelu", {"num_parameters": 3, "init": 0.5})
    x = np.array([[[-1.0, 2.0], [3.0, -4.0], [-5.0, -6.0]], [[-7.0, 8.0], [9.0, 10.0], [11.0, -12.0]]])
    g = np.ones_like(x)
    layer.forward(x)
    dx = layer.backward(g)
    np.testing.assert_array_equal(layer.grads["weight"], [-1.0 - 7.0, -4.0, -5.0 - 6.0 - 12.0])
    np.testing.assert_array_equal(dx, np.where(x > 0, 1.0, 0.5))
    shared = make("prelu", {})
    shared.forward(x)
    shared.backward(g)
    np.testing.assert_array_equal(shared.grads["weight"], [x[x <= 0].sum()])


# (name, config, x, PyTorch's output) at x = -3.5, -1, -0.25, 0.25, 1, 3.5 (softmaxes over that one row).
X_TABLE = [-3.5, -1.0, -0.25, 0.25, 1.0, 3.5]
FORWARD_TABLE = [
    ("relu", {}, [0.0, 0.0, 0.0, 0.25, 1.0, 3.5]),
    ("relu6", {}, [0.0, 0.0, 0.0, 0.25, 1.0, 3.5]),
    ("leaky_relu", {}, [-0.035, -0.01, -0.0025, 0.25, 1.0, 3.5]),
    ("leaky_relu", {"negative_slope": 0.2}, [-0.7000000000000001, -0.2, -0.05, 0.25, 1.0, 3.5]),
    ("prelu", {}, [-0.875, -0.25, -0.0625, 0.25, 1.0, 3.5]),
    ("elu", {}, [-0.9698026165776815, -0.6321205588285577, -0.22119921692859512, 0.25, 1.0, 3.5]),
    ("elu", {"alpha": 0.5}, [-0.48490130828884076, -0.31606027941427883, -0.11059960846429756, 0.25, 1.0, 3.5]),
    ("selu", {}, [-1.705009340957283, -1.1113307378125625, -0.388890197478119, 0.2626752468388701,
                  1.0507009873554805, 3.677453455744182]),
    ("celu", {}, [-0.9698026165776815, -0.6321205588285577, -0.22119921692859512, 0.25, 1.0, 3.5]),
    ("celu", {"alpha": 2.0}, [-1.6524521130991099, -0.7869386805747332, -0.2350061948308092, 0.25, 1.0, 3.5]),
    ("gelu", {}, [-0.0008142017766243903, -0.15865525393145702, -0.10032341857926907, 0.14967658142073093,
                  0.841344746068543, 3.4991857982233756]),
    ("gelu", {"approximate": "tanh"}, [-0.0006161976553737403, -0.15880800939172324, -0.100324649298315,
                                       0.149675350701685, 0.8411919906082768, 3.499383802344626]),
    ("silu", {}, [-0.10259280762974712, -0.2689414213699951, -0.10945587477855048, 0.14054412522144952,
                  0.7310585786300049, 3.3974071923702525]),
    ("swish", {}, [-0.10259280762974712, -0.2689414213699951, -0.10945587477855048, 0.14054412522144952,
                   0.7310585786300049, 3.3974071923702525]),
    ("mish", {}, [-0.10409575448637122, -0.30340146137410895, -0.129926963679141, 0.1695724096638176,
                  0.8650983882673103, 3.4939907151175196]),
    ("sigmoid", {}, [0.02931223075135632, 0.2689414213699951, 0.43782349911420193, 0.5621765008857981,
                     0.7310585786300049, 0.9706877692486436]),
    ("hard_sigmoid", {}, [0.0, 0.3333333333333333, 0.4583333333333333, 0.5416666666666666, 0.6666666666666666, 1.0]),
    ("tanh", {}, [-0.9981778976111987, -0.7615941559557649, -0.24491866240370913, 0.24491866240370913,
                  0.7615941559557649, 0.9981778976111987]),
    ("hard_tanh", {}, [-1.0, -1.0, -0.25, 0.25, 1.0, 1.0]),
    ("hard_tanh", {"min_val": -2.0, "max_val": 0.5}, [-2.0, -1.0, -0.25, 0.25, 0.5, 0.5]),
    ("hard_swish", {}, [-0.0, -0.3333333333333333, -0.11458333333333333, 0.13541666666666666, 0.6666666666666666,
                        3.5]),
    ("softplus", {}, [0.029750418272620566, 0.31326168751822286, 0.5759394198788436, 0.8259394198788436,
                      1.3132616875182228, 3.5297504182726205]),
    ("softplus", {"beta": 2.0, "threshold": 5.0}, [0.00045573322688712237, 0.06346400552148625, 0.23703849209005334,
                                                   0.48703849209005334, 1.0634640055214863, 3.5]),
    ("softsign", {}, [-0.7777777777777778, -0.5, -0.2, 0.2, 0.5, 0.7777777777777778]),
    ("softmax", {}, [0.0007885538534013924, 0.009606552556751915, 0.020337071922234336, 0.03353016306194609,
                     0.07098335575916558, 0.8647543028465007]),
    ("log_softmax", {}, [-7.14530985535012, -4.64530985535012, -3.8953098553501198, -3.3953098553501198,
                         -2.6453098553501198, -0.14530985535011992]),
]


def test_forward_table_covers_every_name(act_name):
    assert act_name in {name for name, _, _ in FORWARD_TABLE}, f"add {act_name!r} to FORWARD_TABLE"


@pytest.mark.parametrize(("name", "config", "expected"), FORWARD_TABLE,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(FORWARD_TABLE)])
def test_forward_matches_pytorch_values(make, name, config, expected):
    x = np.array([X_TABLE])
    layer = make(name, config, shape=x.shape)
    # Not to the last ulp: PyTorch's GELU computes 0.5 * (1 + erf(x / sqrt(2))) or 0.5 * (1 + tanh(u)), which
    # cancel in the left tail (at x = -3.5 it is 6e-14 and 1.2e-13 off); the erfc and sigmoid(2u) forms used
    # here agree with mpmath to the last digit or two.
    np.testing.assert_allclose(layer.forward(x)[0], expected, rtol=5e-13, atol=1e-300)


# (name, config, x at a kink, PyTorch's output, PyTorch's gradient): the one-sided slope PyTorch takes.
KINK_TABLE = [
    ("relu", {}, [0.0], [0.0], [0.0]),  # x > 0
    ("relu6", {}, [0.0, 6.0], [0.0, 6.0], [0.0, 0.0]),  # 0 < x < 6
    ("leaky_relu", {}, [0.0], [0.0], [0.01]),  # x > 0, else the slope
    ("leaky_relu", {"negative_slope": 0.2}, [0.0], [0.0], [0.2]),
    ("prelu", {"init": 0.3}, [0.0], [0.0], [0.3]),
    ("elu", {}, [0.0], [0.0], [1.0]),  # x <= 0 takes alpha * exp(x)
    ("elu", {"alpha": 2.0}, [0.0], [0.0], [2.0]),
    ("selu", {}, [0.0], [0.0], [1.7580993408473766]),  # scale * alpha
    ("celu", {"alpha": 2.0}, [0.0], [0.0], [1.0]),
    ("hard_sigmoid", {}, [-3.0, 3.0], [0.0, 1.0], [0.0, 0.0]),  # -3 < x < 3
    ("hard_tanh", {}, [-1.0, 1.0], [-1.0, 1.0], [0.0, 0.0]),  # min_val < x < max_val
    ("hard_tanh", {"min_val": -2.0, "max_val": 0.5}, [-2.0, 0.5], [-2.0, 0.5], [0.0, 0.0]),
    ("hard_swish", {}, [-3.0, 3.0], [-0.0, 3.0], [0.0, 1.0]),  # 0 for x <= -3, 1 for x >= 3
    ("softplus", {}, [20.0], [20.000000002061153], [0.9999999979388464]),  # linear only for beta x > threshold
    ("softplus", {"beta": 2.0, "threshold": 5.0}, [2.5], [2.503357674244559], [0.9933071490757152]),
    ("gelu", {}, [0.0], [0.0], [0.5]),
    ("silu", {}, [0.0], [0.0], [0.5]),
    ("mish", {}, [0.0], [0.0], [0.6]),
    ("softsign", {}, [0.0], [0.0], [1.0]),
]


@pytest.mark.parametrize(("name", "config", "x", "expected_y", "expected_grad"), KINK_TABLE,
                         ids=[f"{n}-{i}" for i, (n, *_) in enumerate(KINK_TABLE)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_kinks_take_pytorchs_one_sided_derivative(make, name, config, x, expected_y, expected_grad, dtype):
    x = np.array([x], dtype=dtype)
    layer = make(name, config, shape=x.shape, dtype=dtype)
    y = layer.forward(x)
    grad = layer.backward(np.ones_like(y))
    rtol = 1e-15 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(y[0], expected_y, rtol=rtol)
    np.testing.assert_allclose(grad[0], expected_grad, rtol=rtol)


def test_prelu_weight_gradient_at_zero_is_zero(make):
    layer = make("prelu", {"init": 0.3}, shape=(1, 1))
    layer.forward(np.zeros((1, 1)))
    layer.backward(np.ones((1, 1)))
    assert layer.grads["weight"][0] == 0.0
