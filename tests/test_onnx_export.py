"""ONNX export of the core: every core layer and combinator round-trips through onnxruntime to
``Network.predict`` (1e-5, float32), errors name the layer, outside exporters register by name, ``nnfs export``.

Skipped without onnx and onnxruntime, except under NNFS_REQUIRE_ONNX=1 (the nox tests session), where the
repository's conftest fails instead.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

from nnfs_core import Network, registry  # noqa: E402
from nnfs_core.cli import main  # noqa: E402
from nnfs_core.errors import ExportError  # noqa: E402
from nnfs_core.layers.dense import Dense  # noqa: E402
from nnfs_core.onnx import export_model  # noqa: E402
from nnfs_core.protocols import BaseLayer  # noqa: E402
from nnfs_core.testing import ConformanceError, check_onnx_export  # noqa: E402
from nnfs_core.testing.onnx import run_onnx  # noqa: E402

CORE = [
    ({"name": "dense", "output_size": 4}, (6,)),
    ({"name": "dense", "output_size": 4, "use_bias": False}, (6,)),
    ({"name": "dense", "output_size": 3}, (2, 5)),  # (N, L, F): MatMul over the last axis
    ({"name": "flatten"}, (2, 3, 4)),
    ({"name": "reshape", "target_shape": [4, -1]}, (2, 6)),
    ({"name": "dropout", "rate": 0.4}, (5,)),
    ({"name": "identity"}, (2, 3)),
    ({"name": "batch_norm"}, (4,)),
    ({"name": "batch_norm", "affine": False}, (3, 5)),
    ({"name": "batch_norm", "eps": 1e-3}, (2, 4, 4)),
    ({"name": "layer_norm"}, (3, 6)),
    ({"name": "layer_norm", "normalized_shape": [3, 6], "use_bias": False}, (3, 6)),
    ({"name": "layer_norm", "elementwise_affine": False}, (7,)),
    ({"name": "sequential", "layers": [{"name": "dense", "output_size": 4}, {"name": "dense", "output_size": 2}]},
     (5,)),
    ({"name": "residual", "body": [{"name": "dense", "output_size": 5}]}, (5,)),
    ({"name": "residual", "body": {"name": "dense", "output_size": 3},
      "projection": {"name": "dense", "output_size": 3, "use_bias": False}}, (5,)),
    ({"name": "branch", "branches": [{"name": "dense", "output_size": 3}, "identity"], "merge": "concatenate"}, (5,)),
    ({"name": "branch", "branches": [{"name": "dense", "output_size": 5}], "merge": "add"}, (5,)),
    ({"name": "add", "branches": [{"name": "dense", "output_size": 5}, "identity", "identity"]}, (5,)),
    ({"name": "multiply", "branches": [{"name": "dense", "output_size": 5}, "identity", "dropout"]}, (5,)),
    ({"name": "concatenate", "branches": [{"name": "flatten"}, {"name": "flatten"}], "axis": -1}, (2, 3)),
    ({"name": "concatenate", "branches": ["identity", {"name": "batch_norm"}], "axis": 0}, (2, 3)),
]


def _id(case):
    config, shape = case
    return f"{config['name']}-{shape}-" + ",".join(f"{k}={v}" for k, v in config.items() if k != "name")[:40]


@pytest.mark.parametrize("case", CORE, ids=[_id(case) for case in CORE])
def test_every_core_layer_exports_to_what_predict_computes(case):
    config, shape = case
    check_onnx_export(registry.layers.create(config), shape)


def test_every_core_layer_has_an_exporter():
    """A new core layer needs an exporter (or an entry here saying why ONNX cannot express it)."""
    core = [entry.name for entry in registry.layers.entries() if entry.distribution == "nnfs-core"]
    assert core and [name for name in core if name not in registry.onnx_exporters] == []
    assert {registry.normalize(config["name"]) for config, _ in CORE} == {registry.normalize(n) for n in core}


def test_the_batch_axis_is_free_and_the_output_is_named():
    net = Network([Dense(3)], input_shape=(4,), seed=0).build()
    model = export_model(net)
    dims = [d.dim_param or d.dim_value for d in model.graph.input[0].type.tensor_type.shape.dim]
    assert (model.graph.input[0].name, dims, model.graph.output[0].name) == ("input", ["N", 4], "output")
    assert model.opset_import[0].version == 17
    for n in (1, 7):
        x = np.ones((n, 4), np.float32)
        np.testing.assert_allclose(run_onnx(model, x), net.predict(x), rtol=1e-5, atol=1e-5)


def test_a_newer_opset_exports_too_and_an_unknown_one_is_refused():
    net = Network([{"name": "layer_norm"}, Dense(2)], input_shape=(3, 4), seed=0).build()
    x = np.random.default_rng(1).normal(size=(2, 3, 4)).astype(np.float32)
    assert check_onnx_export(net, x=x, opset=18).opset_import[0].version == 18
    for opset in (16, 10_000, "17", True):
        with pytest.raises(ExportError, match="opset must be an integer from 17"):
            export_model(net, opset=opset)


def test_the_network_metadata_travels_with_the_model():
    net = Network([Dense(2)], input_shape=(3,), seed=0).build()
    net.metadata = {"vocabulary": ["a", "b"]}
    props = {p.key: p.value for p in export_model(net).metadata_props}
    assert props == {"nnfs.metadata": '{"vocabulary": ["a", "b"]}'}


def test_an_unbuilt_network_without_input_shape_is_refused():
    with pytest.raises(ExportError, match="input shape is unknown"):
        export_model(Network([Dense(2)]))
    with pytest.raises(ExportError, match="no layers"):
        export_model(Network())


class Doubler(BaseLayer):
    """y = 2 x, a layer of an outside pack."""

    def forward_pass(self, x, *, training=False):
        return 2 * x, None

    def backward_pass(self, grad, cache):
        return 2 * grad


@pytest.fixture
def doubler():
    registry.layers.register("doubler")(Doubler)
    yield Doubler
    registry.layers.unregister("doubler")
    registry.onnx_exporters.unregister("doubler")


def test_a_layer_without_an_exporter_is_named_with_its_path_and_what_to_do(doubler):
    net = Network([Dense(3), {"name": "residual", "body": ["identity", "doubler"]}], input_shape=(3,)).build()
    with pytest.raises(ExportError) as caught:
        export_model(net)
    message = str(caught.value)
    assert "layer layers.1.body.1 " in message and "registered as 'doubler'" in message
    assert "nnfs.onnx_exporters" in message and "docs/interop.md" in message


def test_an_unregistered_layer_is_refused_with_its_path():
    net = Network([Dense(3), Doubler()], input_shape=(3,)).build()
    with pytest.raises(ExportError, match=r"layer layers\.1 \(.*Doubler\) is not registered under any name"):
        export_model(net)


def test_an_outside_exporter_registered_by_name_is_used(doubler):
    @registry.onnx_exporters.register("doubler")
    def export_doubler(layer, graph, x):
        return graph.node("Mul", [x, graph.weight(np.array(2.0), "two")])

    check_onnx_export(Doubler(), (4,))
    registry.onnx_exporters.register("doubler", override=True)(lambda layer, graph, x: graph.node("Identity", [x]))
    with pytest.raises(ConformanceError, match="differ from Network.predict by up to"):
        check_onnx_export(Doubler(), (4,))  # a wrong exporter fails the kit's check
    registry.onnx_exporters.register("doubler", override=True)(lambda layer, graph, x: None)
    with pytest.raises(ExportError, match="returned None; an exporter returns the name of its output tensor"):
        check_onnx_export(Doubler(), (4,))


def test_without_onnx_the_export_says_what_to_install(monkeypatch, tmp_path):
    import sys

    monkeypatch.setitem(sys.modules, "onnx", None)
    net = Network([Dense(2)], input_shape=(3,)).build()
    with pytest.raises(ExportError, match=r"pip install 'nnfs-core\[onnx\]'"):
        net.to_onnx(tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_nnfs_export_writes_a_model_onnxruntime_runs(tmp_path, capsys):
    import onnx

    net = Network([Dense(4), {"name": "batch_norm"}, Dense(2)], input_shape=(3,), seed=0).build()
    net.save(tmp_path / "model.nnfs")
    assert main(["export", str(tmp_path / "model.nnfs"), "--format", "onnx", "-o", str(tmp_path / "out/m.onnx")]) == 0
    said = capsys.readouterr().out
    assert "ONNX opset 17, input 'input' (N, 3) float32, output 'output' (N, 2) float32" in said
    x = np.random.default_rng(0).normal(size=(5, 3)).astype(np.float32)
    model = onnx.load(tmp_path / "out/m.onnx")
    np.testing.assert_allclose(run_onnx(model, x), Network.load(tmp_path / "model.nnfs").predict(x),
                               rtol=1e-5, atol=1e-5)
    assert main(["export", str(tmp_path / "model.nnfs"), "-o", str(tmp_path / "d.onnx"), "--dtype", "float64"]) == 0
    assert "input 'input' (N, 3) float64, output 'output' (N, 2) float64" in capsys.readouterr().out
    np.testing.assert_allclose(run_onnx(onnx.load(tmp_path / "d.onnx"), x.astype(np.float64)),
                               Network.load(tmp_path / "model.nnfs").predict(x), rtol=1e-5, atol=1e-5)


def test_nnfs_export_refuses_a_directory_a_missing_model_and_a_bad_opset(tmp_path, capsys):
    Network([Dense(2)], input_shape=(3,)).build().save(tmp_path / "model.nnfs")
    model = str(tmp_path / "model.nnfs")
    assert main(["export", model, "-o", str(tmp_path)]) == 2
    assert "is a directory; name the .onnx file" in capsys.readouterr().err
    assert main(["export", str(tmp_path / "none.nnfs"), "-o", str(tmp_path / "m.onnx")]) == 2
    assert "no model file at" in capsys.readouterr().err
    assert main(["export", model, "-o", str(tmp_path / "m.onnx"), "--opset", "12"]) == 2
    assert "opset must be an integer from 17" in capsys.readouterr().err
    assert not (tmp_path / "m.onnx").exists()


def test_a_float64_network_exports_in_float64_or_cast_to_float32(tmp_path):
    import onnx

    net = Network([Dense(5), {"name": "layer_norm"}, {"name": "batch_norm"}, Dense(2)], input_shape=(3,),
                  dtype="float64", seed=0).build()
    x = np.random.default_rng(0).normal(size=(4, 3))
    model = check_onnx_export(net, x=x, rtol=1e-12, atol=1e-12, randomize=True)
    assert model.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    net.to_onnx(tmp_path / "m.onnx", dtype="float32")
    single = onnx.load(tmp_path / "m.onnx")
    assert {t.data_type for t in single.graph.initializer} == {onnx.TensorProto.FLOAT}
    np.testing.assert_allclose(run_onnx(single, x.astype(np.float32)), net.predict(x), rtol=1e-5, atol=1e-5)
    for dtype in ("int32", "float16", "no-such-type"):
        with pytest.raises(ExportError, match="dtype must be"):
            export_model(net, dtype=dtype)


def test_the_exporters_are_looked_up_like_components_but_are_no_kind(capsys):
    from nnfs_core.errors import ComponentNotFoundError

    assert "dense" in registry.onnx_exporters and "onnx_exporters" not in registry.kinds()
    assert registry.onnx_exporters.entry("dense").distribution == "nnfs-core"
    with pytest.raises(ComponentNotFoundError, match=r"No onnx_exporters component named 'no_such_layer'.*"
                                                     r"Available onnx_exporters: .*dense"):
        registry.onnx_exporters.get("no_such_layer")
    assert main(["plugins", "dense"]) == 0
    assert "onnx" not in capsys.readouterr().out  # nnfs plugins lists components, not their exporters
