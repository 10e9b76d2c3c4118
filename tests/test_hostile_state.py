"""Hostile optimizer state in model files, and checkpoints that cannot be restored at resume.

The optimizer's state in a file is checked key by key before anything is restored (wrong shapes, dtypes,
unknown names and keys, non-finite numbers, counts out of range, huge arrays), with an error naming the key;
and resuming is all or nothing: a checkpoint refused for any reason leaves the network, its optimizer, its
Generators and the callbacks as they were.
"""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from nnfs_core import Network
from nnfs_core.callbacks.model_checkpoint import ModelCheckpoint
from nnfs_core.errors import ModelFormatError
from nnfs_core.persistence._container import write_container
from nnfs_core.protocols import BaseOptimizer, BaseScheduler

X = np.random.default_rng(0).standard_normal((24, 3)).astype(np.float32)
Y = np.random.default_rng(1).integers(0, 2, 24)
WEIGHT = "layers.0.weight"


class Momentum(BaseOptimizer):
    """A core-only BaseOptimizer with a parameter-shaped buffer and a scalar count per parameter."""

    def __init__(self, learning_rate: float = 0.05) -> None:
        super().__init__(learning_rate)

    def update(self, param, grad, state):
        velocity = state.setdefault("velocity", np.zeros_like(param))
        steps = state.setdefault("steps", np.zeros((), np.int64))
        steps += 1
        velocity *= param.dtype.type(0.9)
        velocity += grad
        param -= param.dtype.type(self.learning_rate) * velocity


class Halving(BaseScheduler):
    def get_lr(self) -> float:
        return self.base_lr * 0.5 ** self.last_step


@pytest.fixture(scope="module", autouse=True)
def registered():
    from nnfs_core import registry

    registry.optimizers.register("hostile_momentum", override=True)(Momentum)
    registry.schedulers.register("hostile_halving", override=True)(Halving)
    yield
    registry.optimizers.unregister("hostile_momentum")
    registry.schedulers.unregister("hostile_halving")


def network(seed=0, scheduler=None):
    return Network([{"name": "dense", "output_size": 2}], optimizer=Momentum(), loss="cross_entropy",
                   scheduler=scheduler, seed=seed)


def rewrite(path, edit):
    """Rewrite a model file through ``edit(header, arrays)``; the array table is made to match again."""
    with zipfile.ZipFile(path) as archive:
        header = json.loads(archive.read("header.json"))
        arrays = {name[:-4]: np.load(io.BytesIO(archive.read(name)), allow_pickle=False)
                  for name in archive.namelist() if name.endswith(".npy")}
    text = edit(header, arrays)
    header["arrays"] = {name: {"shape": list(array.shape), "dtype": array.dtype.name}
                        for name, array in arrays.items()}
    with open(path, "wb") as file:
        write_container(file, (text or json.dumps(header)).encode(), arrays)


def _state_array(key, value):
    def edit(header, arrays):
        name = f"optimizer.state.{WEIGHT}.{key}"
        arrays[name] = value
        header["optimizer_state"]["state"][WEIGHT][key] = {"$array": name}
    return edit


def _field(key, value):
    def edit(header, arrays):
        header["optimizer_state"][key] = value
    return edit


def _text(old, new):
    def edit(header, arrays):
        text = json.dumps(header)
        assert old in text
        return text.replace(old, new, 1)
    return edit


def _unknown_parameter(header, arrays):
    header["optimizer_state"]["state"]["layers.7.weight"] = header["optimizer_state"]["state"][WEIGHT]


# name: (edit, what the message must name)
HOSTILE = {
    "state of the wrong shape": (_state_array("velocity", np.zeros((3, 2), np.float32)), r"velocity.*shape \(3, 2\)"),
    "a huge state array": (_state_array("velocity", np.zeros((512, 1024), np.float32)), r"velocity.*shape \(512, 1024"),
    "a boolean state array": (_state_array("velocity", np.zeros((2, 3), bool)), "velocity.*dtype bool"),
    "NaN in a state array": (_state_array("velocity", np.full((2, 3), np.nan, np.float32)), "velocity.*NaN"),
    "an infinite step count": (_state_array("steps", np.array(np.inf)), "steps.*infinite"),
    "a negative step count": (_state_array("steps", np.array(-4, np.int64)), "steps.*negative"),
    "a state for no parameter": (_unknown_parameter, r"layers\.7\.weight.*not a parameter"),
    "an unknown key": (_field("exec", "rm -rf /"), "unknown key.*exec"),
    "a negative learning rate": (_field("learning_rate", -1.0), "learning_rate"),
    "a learning rate of 1e400": (_text('"learning_rate": 0.05', '"learning_rate": 1e400'), "1e400"),
    "a step count past int64": (_field("iterations", 10**30), "iterations"),
    "a fractional step count": (_field("iterations", 2.5), "iterations"),
    "groups the optimizer lacks": (_field("group_learning_rates", [0.1, 0.2]), "group_learning_rates"),
    "state that is not a dict": (_field("state", [1, 2]), "state"),
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    directory = tmp_path_factory.mktemp("saved")
    net = network()
    net.fit(X, Y, epochs=1, batch_size=8, verbose=0,
            callbacks=[ModelCheckpoint(str(directory / "ckpt.nnfs"), keep_last=1)])
    net.save(directory / "model.nnfs")
    return directory


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_optimizer_state_in_a_model_file_is_refused_naming_the_key(case, saved, tmp_path):
    edit, match = HOSTILE[case]
    path = tmp_path / "model.nnfs"
    path.write_bytes((saved / "model.nnfs").read_bytes())
    rewrite(path, edit)
    with pytest.raises(ModelFormatError, match=match):
        Network.load(path)


# a number too large for a float (JSON's 1e400, which Python reads as inf) wherever the header has numbers
OVERFLOWING = {
    "the optimizer's config": ('"learning_rate": 0.05,', '"learning_rate": 1e400,'),
    "a generator's state": ('"has_uint32": 0', '"has_uint32": 1e400'),
    "the network's seed": ('"seed": 0', '"seed": 1e400'),
    "the metadata": ('"kind": "model"', '"kind": "model", "metadata": {"vocabulary": 1e400}'),
    "an exponent without a point": ('"learning_rate": 0.05,', '"learning_rate": 5E+999,'),
}


@pytest.mark.parametrize("case", sorted(OVERFLOWING))
def test_a_number_too_large_for_a_float_anywhere_in_the_header_is_refused(case, saved, tmp_path):
    path = tmp_path / "model.nnfs"
    path.write_bytes((saved / "model.nnfs").read_bytes())
    rewrite(path, _text(*OVERFLOWING[case]))
    with pytest.raises(ModelFormatError, match=r"1e400|5E\+999"):
        Network.load(path)


def snapshot(net, history=None):
    return (net.state_dict(), net.optimizer.state_dict(), net.optimizer.learning_rate, net.rng.bit_generator.state,
            None if net.scheduler is None else net.scheduler.state_dict())


def assert_same(before, after):
    weights, optimizer, rate, rng, scheduler = before
    assert after[0].keys() == weights.keys() and all(np.array_equal(after[0][k], weights[k]) for k in weights)
    assert after[1]["iterations"] == optimizer["iterations"] and after[2] == rate and after[3] == rng
    assert after[1]["state"].keys() == optimizer["state"].keys()
    for name, items in optimizer["state"].items():
        assert all(np.array_equal(after[1]["state"][name][key], value) for key, value in items.items())
    assert after[4] == scheduler


def _bad_callback_state(header, arrays):
    header["training"]["callbacks"]["model_checkpoint"]["saved"] = [42]


def _bad_generator(header, arrays):
    (role,) = [role for role in header["generators"] if role == "network"]
    header["generators"][role]["state"] = {"state": "not a number", "inc": 1}


def _bad_history(header, arrays):
    header["training"]["history"]["history"] = {"loss": ["high"]}


def _longer_history(header, arrays):
    header["training"]["history"]["history"]["loss"] += [0.1, 0.2, 0.3]  # more losses than epochs


def _bad_scheduler(header, arrays):
    header["scheduler_state"] = {"last_step": "many", "base_lr": 0.05}


# name: (edit of the checkpoint, what the message must name); each is checked after something else in the
# checkpoint was already restorable, so a restore that applies as it goes would change the network first
DAMAGED = {
    **{f"optimizer: {case}": HOSTILE[case] for case in ("state of the wrong shape", "an infinite step count")},
    "a callback's state": (_bad_callback_state, "saved"),
    "a Generator state": (_bad_generator, "Generator"),
    "the history": (_bad_history, "history"),
    "the history's lengths": (_longer_history, r"history\['loss'\] has 5 values for 2 epochs"),
    "the scheduler's state": (_bad_scheduler, "scheduler"),
}


@pytest.mark.parametrize("case", sorted(DAMAGED))
def test_a_checkpoint_that_cannot_be_restored_changes_nothing(case, tmp_path):
    edit, match = DAMAGED[case]
    source = network(scheduler=Halving())
    source.fit(X, Y, epochs=2, batch_size=8, verbose=0,
               callbacks=[ModelCheckpoint(str(tmp_path / "ckpt.nnfs"))])
    rewrite(tmp_path / "ckpt.nnfs", edit)
    target = network(seed=5, scheduler=Halving())
    target.fit(X, Y, epochs=1, batch_size=8, verbose=0)  # weights, optimizer state and a history of its own
    before, history = snapshot(target), target.history.history.copy()
    checkpoint = ModelCheckpoint(str(tmp_path / "other{epoch}.nnfs"))
    checkpoint.best, checkpoint.saved = 0.5, [str(tmp_path / "other1.nnfs")]
    with pytest.raises(ModelFormatError, match=match):
        target.fit(X, Y, epochs=3, batch_size=8, verbose=0, learning_rate=0.2, callbacks=[checkpoint],
                   resume_from=tmp_path / "ckpt.nnfs")
    assert_same(before, snapshot(target))
    assert target.history.history == history
    assert (checkpoint.best, checkpoint.saved) == (0.5, [str(tmp_path / "other1.nnfs")])


def test_load_state_dict_checks_before_it_changes_anything():
    optimizer = Momentum()
    optimizer.step({"w": np.ones(3, np.float32)}, {"w": np.ones(3, np.float32)})
    before = optimizer.state_dict()
    for bad, match in [({**before, "learning_rate": float("nan")}, "learning_rate"),
                       ({**before, "iterations": -1}, "iterations"),
                       ({**before, "state": {"w": {"velocity": np.array(["a"])}}}, r"\['w'\]\['velocity'\].*dtype"),
                       ({**before, "surprise": 1}, "surprise")]:
        with pytest.raises(ValueError, match=match):
            optimizer.load_state_dict(bad)
        assert optimizer.iterations == 1 and optimizer.learning_rate == 0.05
        np.testing.assert_array_equal(optimizer.state["w"]["velocity"], before["state"]["w"]["velocity"])
