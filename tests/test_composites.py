"""Layers made of layers: sequential, residual, branch (add, multiply, concatenate) and shared instances."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core.errors import ConfigError, ShapeError
from nnfs_core.layers.branch import Branch
from nnfs_core.layers.dense import Dense
from nnfs_core.layers.residual import Residual
from nnfs_core.layers.sequential import Sequential
from nnfs_core.protocols import BaseLayer, run_backward, run_forward
from nnfs_core.testing import check_layer, gradcheck

RNG = np.random.default_rng(0)


def built(layer, shape, dtype=np.float64):
    layer.build(shape, rng=np.random.default_rng(1), dtype=dtype)
    return layer


@pytest.mark.parametrize("name", ["sequential", "residual", "branch", "add", "multiply", "concatenate"])
def test_every_combinator_is_a_registered_layer(name):
    assert registry.layers.get(name).__module__.startswith("nnfs_core.layers.")


def test_a_residual_block_with_batch_norm_and_a_projection_passes_gradcheck():
    block = Residual([{"name": "dense", "output_size": 6, "use_bias": False}, {"name": "batch_norm"}, "identity",
                      {"name": "dense", "output_size": 6}], projection={"name": "dense", "output_size": 6})
    built(block, (4,))
    assert sorted(block.params) == ["body.0.weight", "body.1.bias", "body.1.weight", "body.3.bias",
                                    "body.3.weight", "projection.bias", "projection.weight"]
    assert sorted(block.state) == ["body.1.running_mean", "body.1.running_var"]
    gradcheck(block, RNG.standard_normal((5, 4)), training=True)
    gradcheck(block, RNG.standard_normal((5, 4)), training=False)


def test_a_residual_without_projection_refuses_a_body_that_changes_the_shape():
    with pytest.raises(ShapeError, match="pass projection="):
        built(Residual({"name": "dense", "output_size": 3}), (4,))


@pytest.mark.parametrize("merge", ["add", "multiply", "concatenate"])
def test_two_branches_merged_pass_gradcheck(merge):
    block = Branch([[{"name": "dense", "output_size": 3}, "tanh"], {"name": "dense", "output_size": 3}], merge=merge)
    built(block, (4,))
    assert block.output_shape == ((6,) if merge == "concatenate" else (3,))
    gradcheck(block, RNG.standard_normal((5, 4)))


def test_concatenate_joins_feature_maps_along_the_channels():
    block = registry.layers.create("concatenate", branches=["identity", [{"name": "dense", "output_size": 5}]],
                                   axis=0)
    built(block, (2, 5))  # (C, L): the dense acts on L, the channels are joined
    assert block.output_shape == (4, 5)
    x = RNG.standard_normal((3, 2, 5))
    y, _ = run_forward(block, x)
    np.testing.assert_array_equal(y[:, :2], x)
    gradcheck(block, x)
    with pytest.raises(ShapeError, match="agree on every other axis"):
        built(registry.layers.create("concatenate", branches=["identity", {"name": "dense", "output_size": 3}]),
              (2, 5))


def test_a_shared_layer_is_listed_once_and_its_gradients_are_summed():
    shared = Dense(4)
    model = Sequential([shared, "tanh", shared])
    built(model, (4,))
    assert sorted(model.params) == ["0.bias", "0.weight"]
    x = RNG.standard_normal((6, 4))
    gradcheck(model, x)  # finite differences move both uses of the weight at once
    upstream = RNG.standard_normal((6, 4))
    y, cache = run_forward(model, x, training=True)
    run_backward(model, upstream, cache)
    untied = built(Sequential([Dense(4), "tanh", Dense(4)]), (4,))  # the same weights, held twice
    for name in ("weight", "bias"):
        untied._layers[0].params[name][...] = shared.params[name]
        untied._layers[2].params[name][...] = shared.params[name]
    y_untied, cache = run_forward(untied, x, training=True)
    np.testing.assert_allclose(y_untied, y)
    run_backward(untied, upstream, cache)
    for name in ("weight", "bias"):
        np.testing.assert_allclose(model.grads[f"0.{name}"], untied.grads[f"0.{name}"] + untied.grads[f"2.{name}"])


def test_a_shared_layer_needs_one_input_shape():
    shared = Dense(4)
    with pytest.raises(ShapeError, match="shared layer needs one shape"):
        built(Sequential([shared, {"name": "dense", "output_size": 3}, shared]), (4,))


def test_bad_arguments_say_what_was_expected():
    with pytest.raises(ConfigError, match="non-empty list"):
        Sequential([])
    with pytest.raises(ValueError, match="merge must be one of"):
        Branch(["identity"], merge="mean")


def test_nested_combinators_train_save_and_load(tmp_path, plain_sgd):
    layers = [{"name": "dense", "output_size": 8},
              {"name": "residual", "body": [{"name": "dense", "output_size": 8}, "relu",
                                            {"name": "dense", "output_size": 8}]},
              {"name": "branch", "merge": "add",
               "branches": [["tanh", {"name": "dense", "output_size": 8}], "identity"]},
              {"name": "dense", "output_size": 3}]
    net = Network(layers, loss="cross_entropy", optimizer=plain_sgd(0.1), input_shape=(4,), seed=0)
    x, y = RNG.standard_normal((64, 4)).astype(np.float32), RNG.integers(0, 3, 64)
    before = net.evaluate(x, y)["loss"]
    net.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert net.evaluate(x, y)["loss"] < before
    path = tmp_path / "nested.nnfs"
    net.save(path)
    loaded = Network.load(path)
    np.testing.assert_array_equal(loaded.predict(x), net.predict(x))
    assert Network.from_config(net.get_config()).get_config() == net.get_config()


def test_the_kit_passes_each_combinator_built_from_layers_of_other_kinds():
    check_layer(Residual([{"name": "dense", "output_size": 5}, {"name": "layer_norm"}]))
    check_layer(Branch([{"name": "dropout", "rate": 0.5}, "identity"], merge="add"))


def test_summary_shows_layers_made_of_layers_as_a_tree():
    net = Network([{"name": "residual", "body": [{"name": "dense", "output_size": 4}, "relu"]},
                   {"name": "dense", "output_size": 2}], input_shape=(4,))
    rows = [line.split() for line in net.summary().splitlines()[4:8]]
    assert [row[:2] for row in rows] == [["0", "Residual"], ["0.body", "Sequential"], ["0.body.0", "Dense"],
                                         ["0.body.1", "ReLU"]]
    assert rows[0][-1] == "20" and rows[2][-1] == "20"  # a composite counts its children's parameters


def test_a_composite_of_threaded_layers_is_threaded_too():
    class Threaded(Dense):
        parallel = True

    assert Residual(Threaded(4)).parallel and not Residual(Dense(4)).parallel


def test_a_training_config_nests_combinators_as_tables(tmp_path, plain_sgd):
    from nnfs_core.config import load_config

    path = tmp_path / "residual.toml"
    path.write_text('''dataset = "digits"
epochs = 1
loss = "cross_entropy"
optimizer = { name = "plain_sgd", learning_rate = 0.1 }

[[layers]]
name = "flatten"

[[layers]]
name = "dense"
output_size = 16

[[layers]]
name = "residual"
body = [{ name = "dense", output_size = 16 }, "relu", { name = "dense", output_size = 16 }]

[[layers]]
name = "dense"
output_size = 10
''')
    net = load_config(path).network()
    assert type(net.layers[2]).__name__ == "Residual"
    net.build((1, 8, 8))
    assert "body.2.weight" in net.layers[2].params


def test_a_sub_block_freezes_by_its_path(plain_sgd):
    net = Network([{"name": "dense", "output_size": 4},
                   {"name": "residual", "body": [{"name": "dense", "output_size": 4}, "relu",
                                                 {"name": "dense", "output_size": 4}]},
                   {"name": "dense", "output_size": 2}], input_shape=(3,), loss="mse", optimizer=plain_sgd(0.1),
                  seed=0).build()
    assert "layers.1.body.0.weight" in dict(net.named_parameters())
    assert net.freeze("layers.1.body.0") == ["layers.1.body.0"]
    frozen = net.layers[1].params["body.0.weight"].copy()
    moving = net.layers[1].params["body.2.weight"].copy()
    net.train_on_batch(RNG.standard_normal((8, 3)), RNG.standard_normal((8, 2)))
    np.testing.assert_array_equal(net.layers[1].params["body.0.weight"], frozen)
    assert not np.array_equal(net.layers[1].params["body.2.weight"], moving)
    summary = net.summary()
    assert "Dense (frozen)" in summary and "Trainable params: 46" in summary
    net.unfreeze("layers.1.*")
    assert "Trainable params: 66" in net.summary()


def test_a_network_refuses_one_instance_twice_and_says_how_to_share_it():
    shared = Dense(3)
    with pytest.raises(ConfigError, match="put both uses in a sequential"):
        Network([shared, "relu", shared])


# -- the kit's checks for sharing and for layers that hold layers ----------------------------------------------

class _ScaleReusingItsBuffer(BaseLayer):
    """y = x * s; its cache is a buffer it reuses from call to call (the hazard of a layer used twice)."""

    example_input_shape = (4,)

    def build(self, input_shape, *, rng, dtype):
        super().build(input_shape, rng=rng, dtype=dtype)
        self.params = {"scale": rng.standard_normal(input_shape).astype(self.dtype)}
        self.grads = {"scale": np.zeros_like(self.params["scale"])}
        self.output_shape = tuple(input_shape)
        return self.output_shape

    def forward_pass(self, x, *, training=False):
        buffer = getattr(self, "_buffer", None)
        if buffer is None or buffer.shape != x.shape:
            buffer = self._buffer = np.empty_like(x)
        buffer[...] = x
        return x * self.params["scale"], buffer

    def backward_pass(self, grad, x):
        self.grads["scale"][...] = (grad * x).sum(axis=0)
        return grad * self.params["scale"]


class _CopyingSequential(Sequential):
    """A composite that lists copies of its children's arrays: an optimizer would never reach the children."""

    def collect_arrays(self):
        super().collect_arrays()
        self.params = {path: value.copy() for path, value in self.params.items()}


def test_the_kit_catches_a_layer_that_cannot_be_used_twice():
    from nnfs_core.testing import ConformanceError
    from nnfs_core.testing._layer_checks import check_used_twice_in_one_model

    check_used_twice_in_one_model(Sequential(["tanh", "sigmoid"]))
    with pytest.raises(ConformanceError, match="used twice in one model"):
        check_used_twice_in_one_model(_ScaleReusingItsBuffer())


def test_the_kit_catches_a_composite_that_hides_its_childrens_arrays():
    from nnfs_core.testing import ConformanceError
    from nnfs_core.testing._layer_checks import check_layers_inside_are_exposed

    layers = [{"name": "dense", "output_size": 4}, "tanh"]
    check_layers_inside_are_exposed(Sequential(layers))
    with pytest.raises(ConformanceError, match="'0.weight' is not that array"):
        check_layers_inside_are_exposed(_CopyingSequential(layers))


# -- a nested model resumes bit-identically ------------------------------------------------------------------

class _MomentumSGD(__import__("nnfs_core.protocols", fromlist=["BaseOptimizer"]).BaseOptimizer):
    def __init__(self, learning_rate=0.05, momentum=0.9, *, param_groups=None):
        super().__init__(learning_rate, param_groups=param_groups)
        self.momentum = momentum

    def update(self, param, grad, state):
        velocity = state.setdefault("velocity", np.zeros_like(param))
        velocity *= param.dtype.type(self.momentum)
        velocity += grad
        param -= param.dtype.type(self.learning_rate) * velocity


def _nested_network():
    layers = ["flatten", {"name": "dense", "output_size": 16},
              {"name": "residual", "body": [{"name": "dense", "output_size": 16}, "batch_norm", "relu",
                                            {"name": "dense", "output_size": 16}]},
              {"name": "branch", "branches": [[{"name": "dense", "output_size": 8}, "tanh"],
                                              [{"name": "dense", "output_size": 8}, {"name": "dropout", "rate": 0.2}]],
               "merge": "concatenate"},
              {"name": "dense", "output_size": 10}]
    optimizer = _MomentumSGD(0.05, param_groups=[{"params": "layers.3.*", "learning_rate": 0.01},
                                                 {"params": "layers.2.body.3", "momentum": 0.5}])
    net = Network(layers, optimizer=optimizer, loss="cross_entropy", seed=5)
    net.freeze("layers.2.body.0")
    return net


@pytest.fixture
def momentum_sgd():
    registry.optimizers.register("nested_momentum_sgd", override=True)(_MomentumSGD)
    yield
    registry.optimizers.unregister("nested_momentum_sgd")


def test_a_nested_model_with_a_frozen_block_and_groups_resumes_bit_identically(tmp_path, momentum_sgd):
    from nnfs_core.callbacks.lambda_callback import LambdaCallback
    from nnfs_core.callbacks.model_checkpoint import ModelCheckpoint
    from nnfs_core.datasets import load

    (x, y), _ = load("digits")
    x, y = x[:256], y[:256]

    def fit(net, **kwargs):
        return net.fit(x, y, epochs=2, batch_size=32, verbose=0, **kwargs)

    reference = _nested_network()
    frozen_before = reference.build(x.shape[1:]).state_dict()["layers.2.body.0.weight"].copy()
    fit(reference)

    class Crash(Exception):
        pass

    def crash(epoch, batch):
        if (epoch, batch) == (1, 3):
            raise Crash

    interrupted = _nested_network()
    checkpoints = ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{batch:03d}.nnfs"), every_n_batches=5)
    with pytest.raises(Crash):
        fit(interrupted, callbacks=[LambdaCallback(on_batch_end=crash), checkpoints])
    resumed = _nested_network()
    fit(resumed, resume_from=tmp_path)

    expected, got = reference.state_dict(), resumed.state_dict()
    assert sorted(expected) == sorted(got) and "layers.3.1.0.weight" in got
    for path, value in expected.items():
        assert np.array_equal(value, got[path]), path
    np.testing.assert_array_equal(got["layers.2.body.0.weight"], frozen_before)  # frozen: never updated
    assert "layers.2.body.0.weight" not in resumed.optimizer.state
    for path, state in reference.optimizer.state.items():
        for key, value in state.items():
            assert np.array_equal(value, resumed.optimizer.state[path][key]), (path, key)
    assert reference.rng.bit_generator.state == resumed.rng.bit_generator.state
