"""Network.torch_state_dict / load_torch_state_dict without torch: the name mapping (indices, fused activations,
composites, declared names and transposes, BatchNorm's num_batches_tracked), round trips, and refusals that
change nothing. The comparisons with torch models are in tests/reference/test_torch_weights_torch.py."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core.errors import ModelFormatError, ShapeError
from nnfs_core.layers.batch_norm import BatchNorm
from nnfs_core.layers.dense import Dense
from nnfs_core.layers.residual import Residual
from nnfs_core.layers.sequential import Sequential
from nnfs_core.protocols import BaseLayer
from nnfs_core.torch_weights import TorchName


def mlp(seed: int = 0, **kwargs: Any) -> Network:
    net = Network([Dense(6, activation="relu"), Dense(5), "tanh", BatchNorm(), Dense(3)], input_shape=(4,),
                  seed=seed, **kwargs)
    return net.build()


def test_indices_follow_nn_sequential_written_module_for_module():
    sd = mlp().torch_state_dict()
    # Linear, ReLU (Dense's activation), Linear, Tanh, BatchNorm1d, Linear
    assert list(sd) == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias", "4.running_mean",
                        "4.running_var", "4.num_batches_tracked", "5.weight", "5.bias"]
    assert sd["0.weight"].shape == (6, 4) and sd["0.weight"].dtype == np.float32
    assert sd["4.num_batches_tracked"].shape == () and sd["4.num_batches_tracked"].dtype == np.int64


def test_torch_state_dict_holds_copies():
    net = mlp()
    sd = net.torch_state_dict()
    sd["0.weight"][...] = 7.0
    assert not np.any(net.layers[0].params["weight"] == 7.0)


def test_round_trip_gives_the_same_predictions_and_arrays():
    source, target = mlp(seed=1), mlp(seed=2)
    source.layers[3].state["running_mean"][...] = np.arange(5)
    x = np.random.default_rng(0).standard_normal((7, 4)).astype(np.float32)
    assert not np.allclose(source.predict(x), target.predict(x))
    assert target.load_torch_state_dict(source.torch_state_dict()) == ([], [])
    np.testing.assert_array_equal(source.predict(x), target.predict(x))
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items(), strict=True):
        np.testing.assert_array_equal(a, b, err_msg=name)


def test_composites_nest_their_children_names_and_sequential_renumbers():
    block = Residual([Dense(4, activation="relu"), BatchNorm(), Dense(4)], projection=Dense(4, activation="tanh"))
    net = Network([Sequential([Dense(4, activation="relu"), Dense(4)]), block], input_shape=(3,), seed=0).build()
    names = list(net.torch_state_dict())
    # Sequential: Linear, ReLU, Linear -> 0, 2; a Dense with an activation alone in a named slot is an
    # nn.Sequential of its two modules (projection.0).
    assert names[:4] == ["0.0.weight", "0.0.bias", "0.2.weight", "0.2.bias"]
    assert names[4:] == ["1.body.0.weight", "1.body.0.bias", "1.body.2.weight", "1.body.2.bias",
                         "1.body.2.running_mean", "1.body.2.running_var", "1.body.2.num_batches_tracked",
                         "1.body.3.weight", "1.body.3.bias", "1.projection.0.weight", "1.projection.0.bias"]


def test_a_shared_layer_is_listed_once_under_its_first_name():
    shared = Dense(3)
    net = Network([Sequential([shared, "tanh", shared])], input_shape=(3,), seed=0).build()
    assert list(net.torch_state_dict()) == ["0.0.weight", "0.0.bias"]


class TransposedDense(BaseLayer):
    """A layer keeping its weight as (in, out), which declares torch's (out, in) layout and names."""

    example_args: ClassVar[dict[str, Any]] = {}

    def __init__(self, output_size: int = 2) -> None:
        super().__init__()
        self.output_size = output_size

    def build(self, input_shape, *, rng, dtype):
        super().build(input_shape, rng=rng, dtype=dtype)
        self.params = {"kernel": rng.standard_normal((input_shape[-1], self.output_size)).astype(dtype)}
        self.grads = {"kernel": np.zeros_like(self.params["kernel"])}
        return (self.output_size,)

    def forward_pass(self, x, *, training=False):
        return x @ self.params["kernel"], x

    def backward_pass(self, grad, x):
        self.grads["kernel"][...] = x.T @ grad
        return grad @ self.params["kernel"].T

    def torch_names(self):
        return [TorchName("weight", "kernel", axes=(1, 0))]


def test_a_layer_declares_its_torch_names_and_transposes():
    net = Network([TransposedDense(2)], input_shape=(3,), seed=0).build()
    kernel = net.layers[0].params["kernel"]
    sd = net.torch_state_dict()
    np.testing.assert_array_equal(sd["0.weight"], kernel.T)
    assert sd["0.weight"].flags.c_contiguous
    new = np.arange(6, dtype=np.float32).reshape(2, 3)
    net.load_torch_state_dict({"0.weight": new})
    np.testing.assert_array_equal(kernel, new.T)
    with pytest.raises(ShapeError, match=r"'0.weight' \(layers.0\) has shape \(3, 2\).*expects \(2, 3\)"):
        net.load_torch_state_dict({"0.weight": new.T})


def test_bad_declarations_are_named():
    class Forgets(TransposedDense):
        def torch_names(self):
            return [TorchName("weight", "kernal")]

    class BadAxes(TransposedDense):
        def torch_names(self):
            return [TorchName("weight", "kernel", axes=(0, 0))]

    with pytest.raises(TypeError, match=r"Forgets.torch_names\(\).*unknown \['kernal'\].*leaves out \['kernel'\]"):
        Network([Forgets()], input_shape=(3,), seed=0).build().torch_state_dict()
    with pytest.raises(TypeError, match=r"axes \(0, 0\)"):
        Network([BadAxes()], input_shape=(3,), seed=0).build().torch_state_dict()


def snapshot(net: Network) -> dict[str, np.ndarray]:
    return net.state_dict()


def test_strict_names_missing_and_unexpected_keys_and_changes_nothing():
    net, other = mlp(seed=1), mlp(seed=2)
    sd = other.torch_state_dict()
    del sd["2.bias"]
    sd["9.weight"] = np.zeros(3, np.float32)
    before = snapshot(net)
    with pytest.raises(ModelFormatError, match=r"missing keys \['2.bias'\], unexpected keys \['9.weight'\]"):
        net.load_torch_state_dict(sd)
    for name, value in snapshot(net).items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)
    result = net.load_torch_state_dict(sd, strict=False)
    assert result.missing_keys == ["2.bias"] and result.unexpected_keys == ["9.weight"]
    np.testing.assert_array_equal(net.layers[0].params["weight"], other.layers[0].params["weight"])
    np.testing.assert_array_equal(net.layers[1].params["bias"], before["layers.1.bias"])


def test_a_wrong_shape_late_in_the_dict_changes_nothing():
    net, other = mlp(seed=1), mlp(seed=2)
    sd = other.torch_state_dict()
    sd["5.weight"] = np.zeros((3, 4), np.float32)
    before = snapshot(net)
    with pytest.raises(ShapeError, match=r"'5.weight' \(layers.4\) has shape \(3, 4\)"):
        net.load_torch_state_dict(sd)
    for name, value in snapshot(net).items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_num_batches_tracked_is_checked_but_not_kept():
    net = mlp()
    sd = net.torch_state_dict()
    sd["4.num_batches_tracked"] = np.array(123, np.int64)
    net.load_torch_state_dict(sd)
    assert net.torch_state_dict()["4.num_batches_tracked"] == 0
    sd["4.num_batches_tracked"] = np.zeros(1, np.int64)
    with pytest.raises(ShapeError, match="num_batches_tracked"):
        net.load_torch_state_dict(sd)


class FakeTensor:
    """What the loader reads of a torch tensor: detach().cpu().numpy() (float64 here, cast on loading)."""

    def __init__(self, array):
        self.array = array

    def detach(self):
        return self

    def cpu(self):
        return self

    def numpy(self):
        return self.array


def test_tensor_like_values_are_read_through_numpy_and_cast():
    net, other = mlp(seed=1), mlp(seed=2, dtype="float64")
    net.load_torch_state_dict({name: FakeTensor(value) for name, value in other.torch_state_dict().items()})
    assert net.layers[0].params["weight"].dtype == np.float32
    np.testing.assert_allclose(net.layers[0].params["weight"], other.layers[0].params["weight"], rtol=1e-6)


@pytest.mark.parametrize("value", [np.array(["a", "b", "c"]), {"not": "an array"}, None])
def test_values_that_are_not_numbers_are_refused(value):
    net = mlp()
    sd = net.torch_state_dict()
    sd["5.bias"] = value
    before = snapshot(net)
    with pytest.raises(ModelFormatError, match="'5.bias'"):
        net.load_torch_state_dict(sd)
    np.testing.assert_array_equal(net.layers[0].params["weight"], before["layers.0.weight"])


def test_a_state_dict_must_be_a_mapping():
    with pytest.raises(TypeError, match="mapping of names"):
        mlp().load_torch_state_dict([("0.weight", np.zeros((6, 4)))])


def test_an_invalid_torch_modules_count_is_named():
    layer = registry.layers.create("identity")
    layer.torch_modules = 0
    with pytest.raises(TypeError, match=r"Identity.torch_modules must be an integer >= 1, got 0"):
        Network([layer, Dense(2)], input_shape=(3,), seed=0).build().torch_state_dict()
