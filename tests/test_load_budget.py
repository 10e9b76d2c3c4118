"""The load budget bounds the whole network a file describes, before it is built (docs/file-format.md).

Each of the first four tests is one way a small file made ``Network.load`` (or one sample's ``predict``)
allocate gigabytes before the budget bounded the whole model: a float-valued size, a total over many
layers, arrays that raise the allowance without being used, and the last layer's output.
"""

from __future__ import annotations

import io
import json
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core.errors import ModelFormatError
from nnfs_core.persistence import DEFAULT_LIMITS, LoadBudgetWarning, LoadLimits
from nnfs_core.protocols import BaseLayer

MiB = 2**20


def _model_file(path, layers, input_shape, arrays=None, output_shapes=None):
    """A model file written by nnfs for a tiny network, then given ``layers`` (and extra ``arrays``)."""
    net = Network(["flatten"], input_shape=input_shape, seed=0).build()
    net.save(path)
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    header = json.loads(members[0][1])
    header["network"]["layers"] = layers
    header["layers"] = [{"output_shape": shape, "trainable": True}
                        for shape in (output_shapes or [None] * len(layers))]
    header["components"] = []
    for name, (array, compression) in (arrays or {}).items():
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, array, allow_pickle=False)
        header["arrays"][name] = {"shape": list(array.shape), "dtype": array.dtype.name}
        members.append((f"{name}.npy", buffer.getvalue(), compression))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("header.json", json.dumps(header))
        for name, data, *compression in members[1:]:
            archive.writestr(name, data, compress_type=compression[0] if compression else zipfile.ZIP_STORED)
    path.write_bytes(buffer.getvalue())
    return path


def _refused_cheaply(path, limit=16 * MiB):
    tracemalloc.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(ModelFormatError) as caught:
                Network.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < limit, f"refused only after allocating {peak / MiB:.0f} MiB"
    return str(caught.value)


def test_a_float_valued_size_is_counted(tmp_path):
    """UpSampling2D's factor is a float: bilinear matrices of 40960 x 1024 from a one-layer file."""
    path = _model_file(tmp_path / "float.nnfs", [{"name": "up_sampling2d", "scale_factor": [1.0, 40.0],
                                                  "mode": "bilinear"}], [1, 1, 1024])
    assert "load budget" in _refused_cheaply(path)


def test_the_budget_is_a_total_over_all_layers(tmp_path):
    """Each Dense pair within a per-layer budget, 40 of them far beyond it."""
    layers = [{"name": "dense", "output_size": size} for _ in range(200) for size in (2**12, 16)]
    path = _model_file(tmp_path / "total.nnfs", layers, [16])
    message = _refused_cheaply(path)
    assert "load budget" in message and "layer 1 " in message


def test_arrays_do_not_raise_the_allowance_beyond_their_bytes_on_disk(tmp_path):
    """200 deflated arrays of 4096 zero bytes (30 bytes each on disk) once counted as 800,000 stored values."""
    junk = {f"layers.0.params.junk{i}": (np.zeros(4096, np.uint8), zipfile.ZIP_DEFLATED) for i in range(200)}
    junk["optimizer.junk"] = (np.zeros(2**16, np.float32), zipfile.ZIP_STORED)
    layers = [{"name": "flatten"}, {"name": "dense", "output_size": 2**17}]
    path = _model_file(tmp_path / "unused.nnfs", layers, [1, 8, 8], arrays=junk)
    assert "load budget" in _refused_cheaply(path)


def test_the_last_layers_output_is_bounded(tmp_path):
    """Nearest upsampling of one 8x8 input to 80000x80000: nothing to store, 6.4e9 values per sample."""
    path = _model_file(tmp_path / "output.nnfs", [{"name": "up_sampling2d", "scale_factor": 10000}], [1, 8, 8])
    message = _refused_cheaply(path)
    assert "one sample's forward pass" in message and "load budget" in message


def test_an_undeclared_layer_growing_as_size_squared_is_bounded_by_the_default(tmp_path):
    """Issue 16: an LSTM-like layer whose arrays grow as hidden_size^2 and which declares nothing."""

    class Recurrent(BaseLayer):
        def __init__(self, hidden_size: int = 4) -> None:
            super().__init__()
            self.hidden_size = hidden_size

        def build(self, input_shape, *, rng, dtype):
            super().build(input_shape, rng=rng, dtype=dtype)
            self.params["weight"] = np.zeros((4 * self.hidden_size, input_shape[-1] + self.hidden_size), dtype)
            self.output_shape = (self.hidden_size,)
            return self.output_shape

    registry.layers.register("budget_recurrent", override=True)(Recurrent)
    try:
        path = _model_file(tmp_path / "lstm.nnfs", [{"name": "budget_recurrent", "hidden_size": 3000}], [10])
        assert "load budget" in _refused_cheaply(path)
    finally:
        registry.layers.unregister("budget_recurrent")


def test_a_declared_build_cost_is_what_the_loader_counts(tmp_path):
    calls = []

    class Declared(BaseLayer):
        def __init__(self, size: int = 4) -> None:
            super().__init__()
            self.size = size

        def build_cost(self, input_shape):
            calls.append(input_shape)
            return self.size, 0

    registry.layers.register("budget_declared", override=True)(Declared)
    try:
        cheap = _model_file(tmp_path / "cheap.nnfs", [{"name": "budget_declared", "size": 10**6}], [4])
        with pytest.raises(ModelFormatError, match="load budget of 262144"):
            Network.load(cheap)
        assert calls and calls[0] == (4,)
        fits = _model_file(tmp_path / "fits.nnfs", [{"name": "budget_declared", "size": 2**18}], [4],
                           output_shapes=[[4]])
        assert Network.load(fits).layers[0].size == 2**18
    finally:
        registry.layers.unregister("budget_declared")


def test_a_bad_declaration_is_a_format_error(tmp_path):
    class Liar(BaseLayer):
        def build_cost(self, input_shape):
            return -5

    registry.layers.register("budget_liar", override=True)(Liar)
    try:
        path = _model_file(tmp_path / "liar.nnfs", [{"name": "budget_liar"}], [4])
        with pytest.raises(ModelFormatError, match="build_cost must return"):
            Network.load(path)
    finally:
        registry.layers.unregister("budget_liar")


def test_trusting_a_file_skips_the_budget(tmp_path):
    path = _model_file(tmp_path / "trusted.nnfs", [{"name": "up_sampling2d", "scale_factor": 520}], [1, 8, 8],
                       output_shapes=[[1, 4160, 4160]])
    with pytest.raises(ModelFormatError, match="load budget"):
        Network.load(path)
    network = Network.load(path, limits=LoadLimits(check_architecture=False))
    assert network.predict(np.zeros((1, 1, 8, 8), np.float32)).shape == (1, 1, 4160, 4160)
    assert DEFAULT_LIMITS.check_architecture


def test_a_small_cnn_on_large_images_saves_and_loads_with_the_defaults(tmp_path):
    """Issue 17: save() wrote a small CNN on 3x300x300 inputs that load() then refused."""
    net = Network([{"name": "conv2d", "out_channels": 8, "kernel_size": 3}, "relu", {"name": "max_pool2d",
                   "kernel_size": 2}, "global_avg_pool2d", {"name": "dense", "output_size": 10}],
                  input_shape=(3, 300, 300), seed=0).build()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        net.save(tmp_path / "cnn.nnfs")
    x = np.random.default_rng(0).standard_normal((1, 3, 300, 300)).astype(np.float32)
    np.testing.assert_array_equal(Network.load(tmp_path / "cnn.nnfs").predict(x), net.predict(x))


def test_saving_a_model_the_defaults_would_refuse_says_why_first(tmp_path):
    net = Network([{"name": "up_sampling2d", "scale_factor": 520}], input_shape=(1, 8, 8), seed=0).build()
    with pytest.warns(LoadBudgetWarning, match=r"will not load with the default limits: the output \[1, 4160, 4160\] "
                                               r"of layer 0 .*--trust-file"):
        net.save(tmp_path / "big.nnfs")
    with pytest.raises(ModelFormatError, match="load budget"):
        Network.load(tmp_path / "big.nnfs")
    assert Network.load(tmp_path / "big.nnfs", limits=LoadLimits(check_architecture=False)).built


# -- layers made of layers: the sum over their children, each at its own input shape ------------------------
def test_the_unet_example_trained_and_saved_loads_with_the_defaults(tmp_path):
    """A composite once cost what the numbers of its whole nested config suggested (3.2M values for the
    U-Net's skip block): save warned and load refused the example's own trained model."""
    pytest.importorskip("nnfs_conv")
    from pathlib import Path

    from nnfs_core.config import load_config

    config = load_config(Path(__file__).parents[1] / "examples" / "unet-denoiser.toml")
    net = config.network()
    x = np.random.default_rng(0).random((64, 1, 28, 28), dtype=np.float32)
    net.fit(x, x, epochs=1, batch_size=32, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LoadBudgetWarning)
        net.save(tmp_path / "unet.nnfs")
    loaded = Network.load(tmp_path / "unet.nnfs")
    np.testing.assert_array_equal(loaded.predict(x[:4]), net.predict(x[:4]))


NESTED = [{"name": "dense", "output_size": 12}, {"name": "branch", "merge": "concatenate", "branches": [
    "identity",
    [{"name": "residual", "body": [{"name": "dense", "output_size": 12}, "tanh"],
      "projection": None},
     {"name": "sequential", "layers": [{"name": "dense", "output_size": 5}]}]]},
    {"name": "dense", "output_size": 3}]


def test_a_nested_composite_costs_the_sum_over_its_children():
    from nnfs_core.persistence._budget import Budget, layer_cost

    net = Network(NESTED, input_shape=(7,), seed=0).build()
    branch = net.layers[1]
    dense_held = [2 * (out * (inp + 1)) for inp, out in [(12, 12), (12, 5)]]  # weights, biases, their gradients
    held, scratch = layer_cost(branch, branch.get_config(), (12,))
    inner_held = sum(layer_cost(layer, layer.get_config(), layer.input_shape)[0]
                     for layer in (branch._branches[1]._layers[0]._body._layers[0],
                                   branch._branches[1]._layers[1]._layers[0]))
    assert held == inner_held == sum(dense_held)
    # per sample: every child's output - identity 12; the sequential path 5, its residual 12 (the body 12,
    # the dense 12, tanh 12) and its sequential 5 (the dense 5)
    assert scratch == 12 + 5 + 12 + 12 + 12 + 12 + 5 + 5
    assert Budget.of(DEFAULT_LIMITS, 0).held > held


def test_a_nested_composite_saves_without_warning_and_loads(tmp_path):
    net = Network(NESTED, input_shape=(7,), seed=0).build()
    with warnings.catch_warnings():
        warnings.simplefilter("error", LoadBudgetWarning)
        net.save(tmp_path / "nested.nnfs")
    x = np.random.default_rng(1).random((3, 7), dtype=np.float32)
    np.testing.assert_array_equal(Network.load(tmp_path / "nested.nnfs").predict(x), net.predict(x))


@pytest.mark.parametrize("wrap", [
    lambda huge: {"name": "sequential", "layers": ["relu", huge]},
    lambda huge: {"name": "residual", "body": ["relu"], "projection": [huge]},
    lambda huge: {"name": "branch", "merge": "add", "branches": ["identity", [{"name": "sequential",
                                                                                "layers": [huge]}]]},
], ids=["sequential", "residual", "nested-branch"])
def test_a_huge_child_deep_inside_a_composite_is_refused_before_it_is_built(tmp_path, wrap):
    huge = {"name": "dense", "output_size": 40_000}  # 40,000 x 2,000 weights: 640 MB with gradients
    path = _model_file(tmp_path / "deep.nnfs", [wrap(huge)], [2000], output_shapes=[[2000]])
    message = _refused_cheaply(path)
    assert "load budget" in message and "layers.0." in message and "Dense" in message


def test_a_composite_that_builds_a_child_without_build_child_is_refused(tmp_path):
    from nnfs_core.layers.composite import CompositeLayer

    class Sneaky(CompositeLayer):
        def __init__(self, size: int = 3) -> None:
            super().__init__()
            self.size = size
            self._inner = registry.layers.resolve({"name": "dense", "output_size": size})

        def children(self):
            return [("inner", self._inner)]

        def build(self, input_shape, *, rng, dtype):
            super().build(input_shape, rng=rng, dtype=dtype)
            self.output_shape = self._inner.build(input_shape, rng=rng, dtype=dtype)
            self.collect_arrays()
            return self.output_shape

    registry.layers.register("budget_sneaky", override=True)(Sneaky)
    try:
        path = _model_file(tmp_path / "sneaky.nnfs", [{"name": "budget_sneaky", "size": 3}], [4])
        with pytest.raises(ModelFormatError, match="without build_child"):
            Network.load(path)
    finally:
        registry.layers.unregister("budget_sneaky")


def test_a_composite_with_arrays_of_its_own_is_counted(tmp_path):
    """A layer that holds layers and arrays of its own (attention's projections next to a memory path) is
    counted for both: what it declares and what its children cost. It used to count its children only, so
    a small file made it allocate its E x E weights unbounded."""
    from nnfs_core.layers.composite import CompositeLayer

    class Projection(CompositeLayer):
        def __init__(self, width: int = 4) -> None:
            super().__init__()
            self.width = width

        def children(self):
            return []

        def build_cost(self, input_shape):
            return 2 * self.width * self.width, self.width

        def build(self, input_shape, *, rng, dtype):
            super().build(input_shape, rng=rng, dtype=dtype)
            self.collect_arrays()
            self.params["weight"] = np.zeros((self.width, self.width), dtype)
            self.output_shape = (self.width,)
            return self.output_shape

    registry.layers.register("budget_projection", override=True)(Projection)
    try:
        path = _model_file(tmp_path / "projection.nnfs", [{"name": "budget_projection", "width": 40_000}], [10])
        assert "load budget" in _refused_cheaply(path)
        nested = [{"name": "sequential", "layers": [{"name": "budget_projection", "width": 40_000}]}]
        assert "load budget" in _refused_cheaply(_model_file(tmp_path / "nested.nnfs", nested, [10]))
        small = Network([{"name": "budget_projection", "width": 8}], input_shape=(10,), seed=0).build()
        small.save(tmp_path / "small.nnfs")
        assert Network.load(tmp_path / "small.nnfs").layers[0].params["weight"].shape == (8, 8)
    finally:
        registry.layers.unregister("budget_projection")
