"""Every example model in examples/ exports to ONNX, and onnxruntime computes what Network.predict does
(1e-5, float32): each network is built from its TOML with random weights and BatchNorm statistics - no
training, no dataset download - and run on a few random samples of its dataset's shape.

Skipped without onnx, onnxruntime or the packs, except under NNFS_REQUIRE_ONNX=1 for onnx (the nox tests
session installs everything).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")
for _pack in ("nnfs_activations", "nnfs_conv", "nnfs_optim", "nnfs_sequence"):
    pytest.importorskip(_pack)

from nnfs_core import registry  # noqa: E402
from nnfs_core.config import load_config  # noqa: E402
from nnfs_core.datasets import describe  # noqa: E402
from nnfs_core.testing import check_onnx_export  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
TOMLS = sorted(EXAMPLES.glob("*.toml"))
#: Per-sample shapes of the examples' datasets, as their loaders document them (mnist and fashion-mnist may
#: not be on this machine; where a dataset is, the test checks its description agrees).
SAMPLE_SHAPES = {"digits": (1, 8, 8), "mnist": (1, 28, 28), "mnist-small": (1, 28, 28),
                 "fashion-mnist": (1, 28, 28), "sequential-mnist": (28, 28), "fortunes": (64,)}


def _inputs(network, shape, rng):
    first = network.layers[0]
    if network.input_dtype.kind in "iu":  # ids for an embedding
        return rng.integers(0, first.num_embeddings, (3, *shape))
    return rng.random((3, *shape), dtype=np.float32)  # images and sequences in [0, 1], as the datasets give


def test_every_example_is_covered():
    assert len(TOMLS) >= 8 and all(load_config(path).dataset_name_and_options()[0] in SAMPLE_SHAPES
                                   for path in TOMLS)


@pytest.mark.parametrize("path", TOMLS, ids=[path.stem for path in TOMLS])
def test_each_example_model_exports_to_what_predict_computes(path):
    config = load_config(path)
    name, options = config.dataset_name_and_options()
    shape = SAMPLE_SHAPES[name]
    if "window" in options:
        shape = (options["window"],)
    info = describe(registry.datasets.get(name))
    if info is not None and info.available and info.sample_shape is not None and not options:
        assert tuple(info.sample_shape) == shape
    network = config.network()
    network.build(config.input_shape or shape)
    check_onnx_export(network, x=_inputs(network, network.input_shape, np.random.default_rng(0)), randomize=True)
