"""A layer frozen inside a trainable block (``net.freeze("layers.2.body.0")``) stays frozen through
``save``/``load`` and a checkpoint resume, and so does every other mix of flags inside blocks (issue 15).

Setting a block's ``trainable`` sets every layer inside it, so a loader that restores the block's flag
after the children, or records only the top-level flags, unfreezes them; the file records the flag of
every layer inside a block (``layers[i].nested_trainable``, docs/file-format.md).
"""

import json
import zipfile

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core._parameters import named_layers, named_trainable
from nnfs_core.callbacks.lambda_callback import LambdaCallback
from nnfs_core.callbacks.model_checkpoint import ModelCheckpoint
from nnfs_core.errors import ModelFormatError
from nnfs_core.persistence import latest_checkpoint

pytest.importorskip("nnfs_optim")


class Crash(Exception):
    pass


def data(n=40):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 4))
    return x, (x[:, 0] - x[:, 2] > 0).astype(np.int64)


def residual_net(**kwargs):
    """layers.2 is a residual whose body is a Sequential of dense, relu, batch_norm, dense."""
    body = [{"name": "dense", "output_size": 6}, "relu", "batch_norm", {"name": "dense", "output_size": 6}]
    net = Network([{"name": "dense", "output_size": 6}, "tanh", {"name": "residual", "body": body},
                   {"name": "dense", "output_size": 2}],
                  {"name": "adam", "learning_rate": 0.01, "weight_decay": 0.01}, "cross_entropy", input_shape=(4,),
                  dtype="float64", seed=4, **kwargs)
    return net.build()


def flags(net):
    return {path: bool(getattr(layer, "trainable", True)) for path, layer in named_layers(net)}


FREEZINGS = {
    "a dense inside the body": (["layers.2.body.0"], []),
    "a batch_norm inside the body": (["layers.2.body.2"], []),
    "the body, one child unfrozen again": (["layers.2.body"], ["layers.2.body.3"]),
    "the block, one child unfrozen again": (["layers.2"], ["layers.2.body.0"]),
}


@pytest.mark.parametrize(("frozen", "unfrozen"), FREEZINGS.values(), ids=FREEZINGS.keys())
def test_flags_inside_a_block_survive_save_and_load(tmp_path, frozen, unfrozen):
    net = residual_net()
    net.freeze(*frozen)
    if unfrozen:
        net.unfreeze(*unfrozen)
    net.fit(*data(), epochs=1, batch_size=8, verbose=0)
    net.save(tmp_path / "m.nnfs")
    loaded = Network.load(tmp_path / "m.nnfs")
    assert flags(loaded) == flags(net)
    assert list(named_trainable(loaded)[0]) == list(named_trainable(net)[0])
    assert sorted(loaded.optimizer.state) == sorted(net.optimizer.state)
    # both go on training identically: the frozen arrays (BatchNorm statistics included) do not move
    before = loaded.state_dict()
    net.fit(*data(), epochs=1, batch_size=8, verbose=0)
    loaded.fit(*data(), epochs=1, batch_size=8, verbose=0)
    for name, value in loaded.state_dict().items():
        np.testing.assert_array_equal(value, net.state_dict()[name], err_msg=name)
    for path, flag in flags(net).items():
        if not flag:
            for name in before:
                if name.startswith(path + "."):
                    np.testing.assert_array_equal(loaded.state_dict()[name], before[name], err_msg=name)


def test_a_child_a_config_froze_and_the_user_unfroze_stays_unfrozen(tmp_path):
    body = [{"name": "dense", "output_size": 6, "trainable": False}, "relu"]
    net = Network([{"name": "residual", "body": body}, {"name": "dense", "output_size": 2}], "sgd", "cross_entropy",
                  input_shape=(6,), seed=0).build()
    assert not net.layers[0].children()[0][1].children()[0][1].trainable
    net.unfreeze("layers.0.body.0")
    net.save(tmp_path / "m.nnfs")
    assert flags(Network.load(tmp_path / "m.nnfs")) == flags(net)
    assert all(flags(net).values())


def test_a_checkpoint_resumes_bit_identically_with_a_layer_frozen_inside_a_block(tmp_path):
    x, y = data()

    def run(net, **kwargs):
        net.fit(x, y, epochs=3, batch_size=8, verbose=0, **kwargs)
        return net

    def frozen():
        net = residual_net()
        net.freeze("layers.2.body.0", "layers.2.body.2")
        return net

    reference = run(frozen())

    def crash(epoch, batch):
        if (epoch, batch) == (1, 3):
            raise Crash

    with pytest.raises(Crash):
        run(frozen(), callbacks=[LambdaCallback(on_batch_end=crash),
                                 ModelCheckpoint(str(tmp_path / "c-{step}.nnfs"), every_n_batches=2)])
    newest = latest_checkpoint(tmp_path)
    # in a new process: the checkpoint loaded as it is, and the network built again by the user's code
    for resumed in (Network.load(newest), frozen()):
        run(resumed, resume_from=newest)
        assert flags(resumed) == flags(reference)
        for name, value in reference.state_dict().items():
            np.testing.assert_array_equal(resumed.state_dict()[name], value, err_msg=name)
        assert sorted(resumed.optimizer.state) == sorted(reference.optimizer.state)
        assert "layers.2.body.0.weight" not in resumed.optimizer.state


def _with_header(path, target, edit):
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as out:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "header.json":
                header = json.loads(data)
                edit(header)
                data = json.dumps(header).encode()
            out.writestr(item, data)
    return target


def test_files_without_nested_flags_load_as_before_and_bad_flags_are_format_errors(tmp_path):
    net = residual_net()
    net.freeze("layers.2.body.0")
    net.save(tmp_path / "m.nnfs")
    older = _with_header(tmp_path / "m.nnfs", tmp_path / "older.nnfs",
                         lambda header: [layer.pop("nested_trainable", None) for layer in header["layers"]])
    assert all(flags(Network.load(older)).values())  # as a file written before the flags were recorded
    unknown = _with_header(tmp_path / "m.nnfs", tmp_path / "unknown.nnfs",
                           lambda header: header["layers"][2]["nested_trainable"].update({"body.9": False}))
    with pytest.raises(ModelFormatError, match=r"layers\[2\].nested_trainable: there is no layer 'body.9'"):
        Network.load(unknown)
    wrong = _with_header(tmp_path / "m.nnfs", tmp_path / "wrong.nnfs",
                         lambda header: header["layers"][2]["nested_trainable"].update({"body.0": "no"}))
    with pytest.raises(ModelFormatError, match=r"layers\[2\].nested_trainable must map layer paths"):
        Network.load(wrong)
