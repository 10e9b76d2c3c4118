"""Core initializers against torch.nn.init: fans, gains, the bound/std each one uses, statistics of big draws
next to torch's own, PyTorch's Linear/Conv2d defaults, and orthogonality."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from nnfs_core.initializers import (
    DEFAULT_WEIGHT,
    KaimingNormal,
    KaimingUniform,
    LecunNormal,
    Orthogonal,
    XavierNormal,
    XavierUniform,
    calculate_gain,
    compute_fans,
    resolve,
)

pytestmark = pytest.mark.reference
torch = pytest.importorskip("torch")
init = torch.nn.init

SHAPES = [(7, 3), (3, 7), (16, 4, 3, 3), (5, 2, 7), (8, 1, 2, 3, 4), (1, 9)]
NONLINEARITIES = ["linear", "conv2d", "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


def torch_fans(shape):
    return init._calculate_fan_in_and_fan_out(torch.empty(shape))


@pytest.mark.parametrize("shape", SHAPES)
def test_fans(shape):
    assert compute_fans(shape) == tuple(torch_fans(shape))


@pytest.mark.parametrize(("nonlinearity", "param"), [
    *((name, None) for name in NONLINEARITIES), ("leaky_relu", 0.0), ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)),
    ("leaky_relu", -0.5), ("relu", 3.0),
])
def test_gains(nonlinearity, param):
    assert calculate_gain(nonlinearity, param) == pytest.approx(init.calculate_gain(nonlinearity, param), rel=1e-15)


KAIMING = list(itertools.product([0, 0.1, math.sqrt(5)], ["fan_in", "fan_out"], NONLINEARITIES))


@pytest.mark.parametrize(("a", "mode", "nonlinearity"), KAIMING)
@pytest.mark.parametrize("shape", SHAPES)
def test_kaiming_std_and_bound(shape, a, mode, nonlinearity):
    fan_in, fan_out = torch_fans(shape)
    std = init.calculate_gain(nonlinearity, a) / math.sqrt(fan_in if mode == "fan_in" else fan_out)
    assert KaimingNormal(a, mode, nonlinearity).std(shape) == pytest.approx(std, rel=1e-15)
    assert KaimingUniform(a, mode, nonlinearity).bound(shape) == pytest.approx(math.sqrt(3) * std, rel=1e-15)


@pytest.mark.parametrize("gain", [1.0, 0.5, 5 / 3, math.sqrt(2)])
@pytest.mark.parametrize("shape", SHAPES)
def test_xavier_and_lecun_std_and_bound(shape, gain):
    fan_in, fan_out = torch_fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    assert XavierNormal(gain).std(shape) == pytest.approx(std, rel=1e-15)
    assert XavierUniform(gain).bound(shape) == pytest.approx(math.sqrt(3) * std, rel=1e-15)
    # PyTorch's recipe for SELU networks, which LecunNormal is
    lecun = init.calculate_gain("linear") / math.sqrt(fan_in)
    assert LecunNormal().std(shape) == pytest.approx(lecun, rel=1e-15)


# (ours, torch's in-place initializer) on a big tensor: same std and, for uniform ones, the same bound
DRAWS = [
    (KaimingUniform(), lambda w: init.kaiming_uniform_(w)),
    (KaimingUniform(a=math.sqrt(5)), lambda w: init.kaiming_uniform_(w, a=math.sqrt(5))),
    (KaimingUniform(mode="fan_out", nonlinearity="relu"), lambda w: init.kaiming_uniform_(w, mode="fan_out",
                                                                                        nonlinearity="relu")),
    (KaimingNormal(a=0.2), lambda w: init.kaiming_normal_(w, a=0.2)),
    (KaimingNormal(nonlinearity="tanh", mode="fan_out"), lambda w: init.kaiming_normal_(w, mode="fan_out",
                                                                                      nonlinearity="tanh")),
    (XavierUniform(gain=2.0), lambda w: init.xavier_uniform_(w, gain=2.0)),
    (XavierNormal(), lambda w: init.xavier_normal_(w)),
    (LecunNormal(), lambda w: init.kaiming_normal_(w, nonlinearity="linear")),
    (Orthogonal(gain=1.5), lambda w: init.orthogonal_(w, gain=1.5)),
    (resolve({"name": "uniform", "low": -0.3, "high": 0.7}), lambda w: init.uniform_(w, -0.3, 0.7)),
    (resolve({"name": "normal", "mean": 1.0, "std": 0.1}), lambda w: init.normal_(w, 1.0, 0.1)),
]


@pytest.mark.parametrize(("ours", "theirs"), DRAWS, ids=[repr(ours) for ours, _ in DRAWS])
@pytest.mark.parametrize("shape", [(128, 64, 3, 3), (300, 700)])
def test_big_draws_have_torchs_statistics(ours, theirs, shape):
    torch.manual_seed(0)
    expected = theirs(torch.empty(shape, dtype=torch.float64)).numpy()
    values = ours(shape, rng=np.random.default_rng(0), dtype=np.float64)
    assert values.mean() == pytest.approx(expected.mean(), abs=8 * expected.std() / math.sqrt(values.size))
    assert values.std() == pytest.approx(expected.std(), rel=0.01)
    assert values.min() == pytest.approx(expected.min(), rel=0.3) and values.max() == pytest.approx(expected.max(),
                                                                                                   rel=0.3)


@pytest.mark.parametrize(("in_features", "out_features"), [(784, 100), (3, 5), (100, 1)])
def test_default_is_torchs_linear_initialisation(in_features, out_features):
    torch.manual_seed(0)
    linear = torch.nn.Linear(in_features, out_features)
    bound = 1 / math.sqrt(in_features)  # what nn.Linear.reset_parameters amounts to
    assert linear.weight.detach().abs().max().item() <= bound and linear.bias.detach().abs().max().item() <= bound
    default = resolve(DEFAULT_WEIGHT)
    assert default.bound((out_features, in_features)) == pytest.approx(bound, rel=1e-15)
    assert default.bound((out_features,), fan_in=in_features) == pytest.approx(bound, rel=1e-15)


def test_default_is_torchs_conv2d_initialisation():
    conv = torch.nn.Conv2d(6, 16, kernel_size=(5, 3), groups=2)
    shape = tuple(conv.weight.shape)  # (16, 3, 5, 3)
    fan_in = compute_fans(shape)[0]
    default = resolve(DEFAULT_WEIGHT)
    rng = np.random.default_rng(0)
    weight = default(shape, rng=rng, dtype=np.float32)
    bias = default((16,), rng=rng, dtype=np.float32, fan_in=fan_in)
    bound = 1 / math.sqrt(fan_in)
    for ours, theirs in ((weight, conv.weight), (bias, conv.bias)):
        assert ours.shape == tuple(theirs.shape) and ours.dtype == np.float32
        assert np.abs(ours).max() <= bound and theirs.detach().abs().max().item() <= bound
    assert np.abs(weight).max() > 0.95 * bound  # 720 draws come close to the bound


@pytest.mark.parametrize("shape", [(10, 10), (6, 20), (20, 6), (8, 3, 2, 2), (4, 5, 6)])
@pytest.mark.parametrize("gain", [1.0, 0.7])
def test_orthogonal_like_torch(shape, gain):
    torch.manual_seed(0)
    theirs = init.orthogonal_(torch.empty(shape, dtype=torch.float64), gain=gain).numpy().reshape(shape[0], -1)
    ours = Orthogonal(gain)(shape, rng=np.random.default_rng(0), dtype=np.float64).reshape(shape[0], -1)
    rows, cols = ours.shape
    for q in (ours, theirs):
        gram = q @ q.T if rows <= cols else q.T @ q
        np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-12)
