"""Callbacks: History, EarlyStopping, TerminateOnNaN, CSVLogger, LambdaCallback, ProgressBar, by name too."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from nnfs_core import Network, registry
from nnfs_core.callbacks.early_stopping import EarlyStopping
from nnfs_core.callbacks.lambda_callback import LambdaCallback
from nnfs_core.errors import TrainingDivergedError


def regression(plain_sgd, learning_rate=0.05, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    net = Network(layers=[{"name": "dense", "output_size": 1}], optimizer=plain_sgd(learning_rate), loss="mse", seed=0)
    return net, x, y


def test_every_core_callback_is_registered():
    names = {e.name for e in registry.callbacks.entries() if e.distribution == "nnfs-core"}
    assert {"progress_bar", "history", "early_stopping", "terminate_on_nan", "csv_logger", "lambda_callback"} <= names


def test_history_records_every_epoch_and_continues(plain_sgd):
    net, x, y = regression(plain_sgd)
    history = net.fit(x, y, epochs=3, verbose=0, validation_data=(x, y))
    assert history.epoch == [0, 1, 2] and len(history.history["val_loss"]) == 3
    assert net.history is history


def test_early_stopping_stops_and_restores_the_best_weights(plain_sgd):
    net, x, y = regression(plain_sgd, learning_rate=0.05)
    losses = iter([1.0, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
    snapshots = []

    def fake_val(epoch, logs):
        logs["val_loss"] = next(losses)
        snapshots.append(net.layers[0].params["weight"].copy())

    stopper = EarlyStopping("val_loss", patience=2, restore_best_weights=True)
    history = net.fit(x, y, epochs=7, verbose=0, callbacks=[LambdaCallback(on_epoch_end=fake_val), stopper])
    assert history.epoch == [0, 1, 2, 3] and stopper.stopped_epoch == 3 and stopper.best_epoch == 1
    assert history.history["val_loss"] == [1.0, 0.5, 0.6, 0.7]
    np.testing.assert_array_equal(net.layers[0].params["weight"], snapshots[1])


def test_early_stopping_by_name_in_max_mode(plain_sgd):
    stopper = registry.callbacks.create("early_stopping", monitor="val_accuracy", patience=1)
    assert stopper._higher_is_better()
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="sideways")


def test_a_nan_loss_raises_naming_epoch_and_batch_and_keeps_weights(plain_sgd):
    net, x, y = regression(plain_sgd)
    net.fit(x, y, epochs=1, verbose=0)
    y_bad = y.copy()
    before = net.layers[0].params["weight"].copy()
    net.loss.forward = lambda y_pred, y_true: float("nan")  # a loss that blows up
    with pytest.raises(TrainingDivergedError, match="epoch 1, batch 1"):
        net.fit(x, y_bad, epochs=1, verbose=0)
    np.testing.assert_array_equal(net.layers[0].params["weight"], before)


def test_csv_logger_writes_one_row_per_epoch(plain_sgd, tmp_path):
    net, x, y = regression(plain_sgd)
    path = tmp_path / "log.csv"
    net.fit(x, y, epochs=3, verbose=0, callbacks=[{"name": "csv_logger", "filename": str(path)}])
    rows = list(csv.DictReader(path.open()))
    assert [row["epoch"] for row in rows] == ["0", "1", "2"] and "loss" in rows[0]
    net.fit(x, y, epochs=2, verbose=0, callbacks=[registry.callbacks.create("csv_logger", filename=str(path),
                                                                              append=True)])
    assert len(list(csv.DictReader(path.open()))) == 5


def test_lambda_callback_sees_every_hook_in_order(plain_sgd):
    net, x, y = regression(plain_sgd)
    calls = []
    callback = LambdaCallback(
        on_fit_start=lambda epochs: calls.append(("fit_start", epochs)),
        on_epoch_start=lambda epoch: calls.append(("epoch_start", epoch)),
        on_batch_end=lambda batch: calls.append(("batch_end", batch)),
        on_epoch_end=lambda epoch: calls.append(("epoch_end", epoch)),
        on_fit_end=lambda: calls.append(("fit_end",)),
    )
    net.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[callback])
    assert calls == [("fit_start", 2), ("epoch_start", 0), ("batch_end", 0), ("batch_end", 1), ("epoch_end", 0),
                     ("epoch_start", 1), ("batch_end", 0), ("batch_end", 1), ("epoch_end", 1), ("fit_end",)]
    with pytest.raises(TypeError, match="unknown hook"):
        LambdaCallback(on_epoch_finish=print)


def test_callbacks_can_stop_training_mid_epoch(plain_sgd):
    net, x, y = regression(plain_sgd)

    def stop(batch):
        if batch == 0:
            net.stop_training = True

    history = net.fit(x, y, epochs=5, batch_size=8, verbose=0, callbacks=[LambdaCallback(on_batch_end=stop)])
    assert history.epoch == [0]


@pytest.mark.parametrize("verbose", [1, 2])
def test_progress_output(plain_sgd, capsys, verbose):
    net, x, y = regression(plain_sgd)
    net.fit(x, y, epochs=2, batch_size=16, verbose=verbose)
    err = capsys.readouterr().err
    assert "Epoch 2/2" in err and "loss" in err
    if verbose == 1:
        assert "4/4" in err  # batches done / batches per epoch
