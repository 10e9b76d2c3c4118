"""Bad input to fit/evaluate/predict: a clear NNFSError naming the problem, and no weight touched."""

from __future__ import annotations

import os

import numpy as np
import pytest

from nnfs_core import Network, persistence
from nnfs_core.errors import ModelFormatError, NNFSError


@pytest.fixture
def net(plain_sgd):
    network = Network(layers=["flatten", {"name": "dense", "output_size": 3}], optimizer=plain_sgd(),
                      loss="cross_entropy", seed=0)
    network.build((4,))
    return network


def good():
    rng = np.random.default_rng(0)
    return rng.standard_normal((6, 4)).astype(np.float32), rng.integers(0, 3, 6)


def nan_x():
    x, y = good()
    x[2, 1] = np.nan
    return x, y


def inf_x():
    x, y = good()
    x[0, 0] = np.inf
    return x, y


CASES = {
    "mismatched lengths": (lambda: (good()[0], good()[1][:5]), {}, "same number of samples"),
    "empty data": (lambda: (np.zeros((0, 4)), np.zeros(0, int)), {}, "empty"),
    "wrong feature shape": (lambda: (np.zeros((6, 5)), good()[1]), {}, r"built for samples of shape \(4,\)"),
    "labels too large": (lambda: (good()[0], np.array([0, 1, 2, 3, 0, 1])), {}, "label"),
    "negative labels": (lambda: (good()[0], np.array([0, -1, 2, 0, 0, 1])), {}, "label"),
    "NaN in X": (nan_x, {}, "NaN"),
    "inf in X": (inf_x, {}, "NaN or infinite"),
    "batch_size 0": (good, {"batch_size": 0}, "batch_size"),
    "batch_size float": (good, {"batch_size": 2.5}, "batch_size"),
    "negative epochs": (good, {"epochs": -1}, "epochs"),
    "loss does not fit the output": (lambda: (good()[0], np.zeros((6, 7), np.float32)), {}, "CrossEntropy"),
    "text data": (lambda: (np.array([["a"] * 4] * 6), good()[1]), {}, "numbers"),
    "1-D X": (lambda: (np.zeros(6), good()[1]), {}, "batch first"),
    "bad validation_split": (good, {"validation_split": 1.5}, "validation_split"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_fit_refuses_bad_input_before_touching_weights(net, case):
    make, kwargs, match = CASES[case]
    before = [p.copy() for p in net.trainable_parameters()[0]]
    x, y = make()
    with pytest.raises(NNFSError, match=match):
        net.fit(x, y, verbose=0, **{"epochs": 1, **kwargs})
    assert all(np.array_equal(a, b) for a, b in zip(before, net.trainable_parameters()[0]))


def test_bad_validation_data_is_refused_before_training(net):
    x, y = good()
    before = [p.copy() for p in net.trainable_parameters()[0]]
    with pytest.raises(NNFSError, match="validation X"):
        net.fit(x, y, validation_data=(np.zeros((3, 9)), y[:3]), verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.trainable_parameters()[0]))


def test_predict_and_evaluate_refuse_bad_input(net):
    with pytest.raises(NNFSError, match="batch_size"):
        net.predict(good()[0], batch_size=0)
    with pytest.raises(NNFSError, match="NaN"):
        net.predict(nan_x()[0])
    with pytest.raises(NNFSError, match="same number of samples"):
        net.evaluate(good()[0], good()[1][:2])


def test_fit_without_loss_or_optimizer_says_what_to_pass():
    network = Network(layers=[{"name": "dense", "output_size": 2}])
    with pytest.raises(NNFSError, match="no loss"):
        network.fit(*good(), verbose=0)
    network = Network(layers=[{"name": "dense", "output_size": 2}], loss="mse")
    with pytest.raises(NNFSError, match="no optimizer"):
        network.fit(*good(), verbose=0)


# -- files that are not model files ---------------------------------------------------------------------------
def _load_in_thread(path):
    """Network.load(path) in a thread; returns (finished, raised). A load that blocks is released, not awaited."""
    import threading

    outcome = {}

    def target():
        try:
            Network.load(path)
        except BaseException as error:  # noqa: BLE001 - the test inspects it
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(30)
    finished = not thread.is_alive()
    if not finished and os.path.exists(path):  # unblock an open() waiting for a FIFO writer
        with open(path, "wb"):
            pass
        thread.join(30)
    return finished, outcome.get("error")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_loading_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    path = tmp_path / "model.nnfs"
    os.mkfifo(path)
    finished, error = _load_in_thread(str(path))
    assert finished, "Network.load blocked on a FIFO"
    assert isinstance(error, ModelFormatError) and "FIFO" in str(error)


@pytest.mark.parametrize("special", ["directory", "device"])
def test_directories_and_devices_are_model_format_errors(tmp_path, special):
    if special == "directory":
        path = str(tmp_path)
    else:
        path = os.devnull
        if not os.path.exists(path) or os.name == "nt":
            pytest.skip("no character device")
    for read in (Network.load, persistence.read_header):
        with pytest.raises(ModelFormatError, match="regular file|directory"):
            read(path)


def test_an_unreadable_file_is_a_model_format_error(tmp_path, monkeypatch):
    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "open", denied)
    with pytest.raises(ModelFormatError, match="Permission denied"):
        Network.load(str(tmp_path / "model.nnfs"))


def test_a_missing_model_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        Network.load(str(tmp_path / "missing.nnfs"))


@pytest.mark.parametrize(("filepath", "match"), [
    ("{tmp}/a-file/ckpt/{{epoch}}.nnfs", "cannot create the directory"),
    ("{tmp}/ckpt/{{epcoh}}.nnfs", "'epcoh'"),
    ("{tmp}/ckpt/{{epoch:s}}.nnfs", "cannot fill in"),
    ("{tmp}/ckpt/{{accuracy}}-{{", "not a valid format string"),
])
def test_a_checkpoint_path_mistake_is_refused_before_the_first_epoch(net, tmp_path, filepath, match):
    from nnfs_core.callbacks.model_checkpoint import ModelCheckpoint
    from nnfs_core.errors import ConfigError

    (tmp_path / "a-file").write_text("")
    before = [p.copy() for p in net.trainable_parameters()[0]]
    checkpoint = ModelCheckpoint(filepath.format(tmp=tmp_path))
    with pytest.raises(ConfigError, match=match):
        net.fit(*good(), epochs=2, batch_size=2, callbacks=[checkpoint], verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.trainable_parameters()[0]))


def test_a_mid_epoch_checkpoint_cannot_name_validation_keys(net, tmp_path):
    from nnfs_core.callbacks.model_checkpoint import ModelCheckpoint
    from nnfs_core.errors import ConfigError

    checkpoint = ModelCheckpoint(str(tmp_path / "{val_loss}.nnfs"), every_n_batches=1)
    with pytest.raises(ConfigError, match="mid-epoch saves"):
        net.fit(*good(), epochs=1, batch_size=2, callbacks=[checkpoint], validation_split=0.5, verbose=0)


class _NotACallback:
    pass


BAD_CALLBACKS = {
    "a number in the list": ([42], r"callbacks\[0\] is '42' \(int\)"),
    "None in the list": ([None], r"callbacks\[0\].*NoneType"),
    "an object without hooks": ([_NotACallback()], r"callbacks\[0\].*_NotACallback"),
    "a number": (42, "must be a list"),
    "a name alone": ("early_stopping", "must be a list"),
    "a callback alone": ("instance", "must be a list"),
}


@pytest.mark.parametrize("case", sorted(BAD_CALLBACKS))
def test_fit_refuses_what_is_not_a_list_of_callbacks(net, case):
    from nnfs_core.callbacks.early_stopping import EarlyStopping

    callbacks, match = BAD_CALLBACKS[case]
    before = [p.copy() for p in net.trainable_parameters()[0]]
    with pytest.raises(NNFSError, match=match):
        net.fit(*good(), epochs=1, verbose=0, callbacks=EarlyStopping() if callbacks == "instance" else callbacks)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.trainable_parameters()[0]))


def test_fit_takes_every_documented_form_of_callback(net):
    from nnfs_core.callbacks.early_stopping import EarlyStopping

    class Plain:  # no base class: any object with a hook method
        def on_epoch_end(self, logs):
            self.seen = True

    plain = Plain()
    net.fit(*good(), epochs=1, verbose=0, callbacks=(c for c in ["early_stopping", {"name": "early_stopping"},
                                                                 EarlyStopping, EarlyStopping(), plain]))
    assert plain.seen


@pytest.mark.parametrize("initial_epoch", [-3, 1.5, True, "2"])
def test_fit_refuses_an_initial_epoch_that_is_not_a_count(net, initial_epoch):
    before = [p.copy() for p in net.trainable_parameters()[0]]
    with pytest.raises(NNFSError, match="initial_epoch must be an integer >= 0"):
        net.fit(*good(), epochs=2, verbose=0, initial_epoch=initial_epoch)
    assert all(np.array_equal(a, b) for a, b in zip(before, net.trainable_parameters()[0]))
