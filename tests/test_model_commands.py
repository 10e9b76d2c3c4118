"""`nnfs summary`, `nnfs evaluate` and `nnfs predict` on a model saved by training for real."""

from __future__ import annotations

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core._model_commands import confusion_matrix
from nnfs_core.cli import main
from nnfs_core.datasets import load


@pytest.fixture
def model(tmp_path, plain_sgd):
    (x, y), _ = load("digits")
    net = Network(layers=["flatten", {"name": "dense", "output_size": 10}], optimizer=plain_sgd(0.5),
                  loss="cross_entropy", seed=0)
    net.fit(x, y, epochs=3, verbose=0)
    path = tmp_path / "model.nnfs"
    net.save(path)
    return net, path


def test_summary_of_a_saved_model(model, capsys):
    assert main(["summary", str(model[1])]) == 0
    assert "Dense" in capsys.readouterr().out


def test_evaluate_prints_metrics_and_a_confusion_matrix(model, capsys):
    net, path = model
    assert main(["evaluate", str(path), "--dataset", "digits"]) == 0
    out = capsys.readouterr().out
    _, (x_test, y_test) = load("digits")
    assert f"{net.evaluate(x_test, y_test)['accuracy']:.4f}" in out
    assert "confusion matrix" in out


def test_predict_prints_classes_or_writes_outputs(model, tmp_path, capsys):
    net, path = model
    x = load("digits").test.x[:7]
    np.save(tmp_path / "in.npy", x)
    assert main(["predict", str(path), str(tmp_path / "in.npy"), "--classes"]) == 0
    assert capsys.readouterr().out.split() == [str(c) for c in net.predict(x).argmax(1)]
    assert main(["predict", str(path), str(tmp_path / "in.npy"), "--output", str(tmp_path / "out.npy")]) == 0
    np.testing.assert_array_equal(np.load(tmp_path / "out.npy"), net.predict(x))


def test_missing_model_and_pickled_input_are_clear_errors(model, tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "nope.nnfs"), "--dataset", "digits"]) == 2
    assert "no model file" in capsys.readouterr().err
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    assert main(["predict", str(model[1]), str(tmp_path / "objects.npy")]) == 2
    assert "no pickles" in capsys.readouterr().err


def test_confusion_matrix_counts():
    counts = confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3)
    np.testing.assert_array_equal(counts, [[1, 0, 0], [0, 1, 1], [0, 0, 1]])


def test_trust_file_loads_a_model_beyond_the_load_budget(tmp_path, capsys):
    """A model the default load budget refuses: the commands say so, and load it with --trust-file."""
    from nnfs_core.persistence import LoadBudgetWarning

    net = Network([{"name": "up_sampling2d", "scale_factor": 520}], input_shape=(1, 8, 8), seed=0).build()
    with pytest.warns(LoadBudgetWarning):
        net.save(tmp_path / "big.nnfs")
    np.save(tmp_path / "x.npy", np.ones((1, 1, 8, 8), np.float32))
    for command in (["summary", str(tmp_path / "big.nnfs")],
                    ["predict", str(tmp_path / "big.nnfs"), str(tmp_path / "x.npy"), "--output", str(tmp_path / "y")]):
        assert main(command) == 2
        assert "load budget" in capsys.readouterr().err
        assert main([*command, "--trust-file"]) == 0
    assert np.load(tmp_path / "y.npy").shape == (1, 1, 4160, 4160)


def test_predict_output_says_which_file_it_wrote(model, tmp_path, capsys):
    net, path = model
    x = load("digits").test.x[:5]
    np.save(tmp_path / "in.npy", x)
    assert main(["predict", str(path), str(tmp_path / "in.npy"), "--output", str(tmp_path / "new" / "preds")]) == 0
    out = capsys.readouterr().out
    assert f"written to {tmp_path / 'new' / 'preds.npy'} (.npy added to {tmp_path / 'new' / 'preds'})" in out
    np.testing.assert_array_equal(np.load(tmp_path / "new" / "preds.npy"), net.predict(x))
    assert main(["predict", str(path), str(tmp_path / "in.npy"), "--classes", "--output", str(tmp_path / "c.npy")]) == 0
    assert f"5 classes written to {tmp_path / 'c.npy'}\n" in capsys.readouterr().out
    np.testing.assert_array_equal(np.load(tmp_path / "c.npy"), net.predict(x).argmax(1))


@pytest.mark.parametrize("where", ["a-file/out.npy", "a-dir.npy", "a-dir"])
def test_predict_refuses_an_output_it_cannot_write_before_predicting(model, tmp_path, capsys, where):
    np.save(tmp_path / "in.npy", load("digits").test.x[:3])
    (tmp_path / "a-file").write_text("not a directory")
    (tmp_path / "a-dir.npy").mkdir()
    assert main(["predict", str(model[1]), str(tmp_path / "in.npy"), "--output", str(tmp_path / where)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nnfs: error: --output") and "Traceback" not in err


def test_predict_classes_on_a_model_that_is_not_a_classifier_is_refused(tmp_path, capsys, plain_sgd):
    for name, output_size in [("regressor", 1), ("image", None)]:
        layers = [{"name": "dense", "output_size": output_size}] if output_size else ["relu"]
        net = Network(layers, optimizer=plain_sgd(), loss="mse", input_shape=(2, 3) if not output_size else (4,),
                      seed=0).build()
        net.save(tmp_path / f"{name}.nnfs")
        np.save(tmp_path / "in.npy", np.ones((3, *net.input_shape), np.float32))
        assert main(["predict", str(tmp_path / f"{name}.nnfs"), str(tmp_path / "in.npy"), "--classes"]) == 2
        err = capsys.readouterr().err
        assert "--classes needs a classifier" in err and "Traceback" not in err, err
