"""Model files and checkpoints of the first release (format version 1, optimizer state by position) load
and resume: tests/fixtures/format1 holds files that release wrote, and the weights its uninterrupted run
reached.

Those weights were reached on one machine. OpenBLAS picks its kernels by processor (with or without fused
multiply-add), so a product of the same float64 arrays can differ in the last bit from one processor to
another, and a resumed run on another machine reaches the old release's weights within a few ulps, not
bit for bit (6e-15 relative at most, measured on an AMD EPYC). The comparison allows 1e-12 relative; wrong
migrated state moves the weights far more (measured: Adam's moments off by 1e-4 relative, 1.4e-4; its step
count off by one, 8e-2; the batches in another order, 0.7).
Bit-exact resume on one machine is tested in tests/test_checkpoint_resume.py."""

import sys
from pathlib import Path

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core.persistence import read_header

FIXTURES = Path(__file__).parent / "fixtures" / "format1"
sys.path.insert(0, str(FIXTURES))
from make_format1_fixtures import data, network  # noqa: E402

sys.path.remove(str(FIXTURES))


def arrays_of(net):
    return {f"{index}.{name}": value for index, layer in enumerate(net.layers)
            for name, value in {**layer.params, **layer.state}.items()}


def assert_reaches_the_old_release_weights(net):
    with np.load(FIXTURES / "expected.npz") as expected:
        got = arrays_of(net)
        assert sorted(got) == sorted(expected.files)
        for name, value in got.items():
            np.testing.assert_allclose(value, expected[name], rtol=1e-12, atol=1e-15, err_msg=name)


def test_the_fixtures_are_format_1_files():
    assert read_header(FIXTURES / "model.nnfs").format_version == 1
    assert read_header(FIXTURES / "checkpoint.nnfs").format_version == 1


def test_a_format_1_model_loads_with_its_adam_state_under_parameter_names():
    net = Network.load(FIXTURES / "model.nnfs")
    state = net.optimizer.state
    assert sorted(state) == ["layers.0.bias", "layers.0.weight", "layers.1.bias", "layers.1.weight",
                             "layers.3.bias", "layers.3.weight"]
    assert state["layers.3.weight"]["exp_avg"].shape == net.layers[3].params["weight"].shape
    assert int(state["layers.0.weight"]["step"]) == 12


def test_a_format_1_model_resumes_to_the_weights_the_old_release_reached():
    x, y = data()
    net = Network.load(FIXTURES / "model.nnfs")
    net.fit(x, y, epochs=4, initial_epoch=2, batch_size=8, verbose=0)
    assert_reaches_the_old_release_weights(net)


def test_a_format_1_mid_epoch_checkpoint_resumes_to_the_same_weights():
    x, y = data()
    net = network()
    net.fit(x, y, epochs=4, batch_size=8, resume_from=FIXTURES / "checkpoint.nnfs", verbose=0)
    assert_reaches_the_old_release_weights(net)


def test_saving_a_format_1_model_again_writes_format_2_with_named_state(tmp_path):
    net = Network.load(FIXTURES / "model.nnfs")
    net.save(tmp_path / "again.nnfs")
    assert read_header(tmp_path / "again.nnfs").format_version == 2
    again = Network.load(tmp_path / "again.nnfs")
    for name, entries in net.optimizer.state.items():
        for key, value in entries.items():
            np.testing.assert_array_equal(again.optimizer.state[name][key], value)


@pytest.mark.parametrize("name", ["model.nnfs", "checkpoint.nnfs"])
def test_format_1_files_predict_like_the_release_that_wrote_them(name):
    x, _ = data()
    net = Network.load(FIXTURES / name)
    assert net.predict(x).shape == (len(x), 3)
