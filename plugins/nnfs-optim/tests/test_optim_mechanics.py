"""What every optimizer variant must do: float32 kept, updates in place without allocations, state round trips."""

from __future__ import annotations

import copy
import io
import tracemalloc

import numpy as np
import pytest

from nnfs_core import registry

VARIANTS = [
    ("sgd", {}),
    ("sgd", {"momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("sgd", {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
    ("adam", {}),
    ("adam", {"weight_decay": 0.01, "amsgrad": True}),
    ("adam", {"weight_decay": 0.01, "decoupled_weight_decay": True}),
    ("adamw", {"amsgrad": True}),
    ("adamax", {"weight_decay": 0.01}),
    ("nadam", {}),
    ("nadam", {"weight_decay": 0.01}),
    ("nadam", {"weight_decay": 0.01, "decoupled_weight_decay": True}),
    ("radam", {"weight_decay": 0.01}),
    ("radam", {"weight_decay": 0.01, "decoupled_weight_decay": True}),
    ("rmsprop", {}),
    ("rmsprop", {"momentum": 0.9, "centered": True, "weight_decay": 0.01}),
    ("adagrad", {"lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("adadelta", {"weight_decay": 0.01}),
    ("lion", {"weight_decay": 0.1}),
]
IDS = [name + "".join(f"-{key}" for key in kwargs) for name, kwargs in VARIANTS]
SHAPES = [(16, 8), (8,), (2, 3, 3, 3)]


def _params(dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype(dtype) for shape in SHAPES]


def _gradients(dtype, steps, seed=1):
    rng = np.random.default_rng(seed)
    return [[rng.normal(size=shape).astype(dtype) for shape in SHAPES] for _ in range(steps)]


@pytest.mark.parametrize(("name", "kwargs"), VARIANTS, ids=IDS)
def test_float32_parameters_and_state_stay_float32(name, kwargs):
    optimizer = registry.optimizers.create(name, **kwargs)
    params = _params(np.float32)
    for grads in _gradients(np.float32, 3):
        optimizer.step(params, grads)
    for param in params:
        assert param.dtype == np.float32
    for entries in optimizer.state.values():
        for key, value in entries.items():
            if key not in ("step", "mu_product"):  # per-parameter scalars: int64 count, float64 product
                assert value.dtype == np.float32, key


@pytest.mark.parametrize(("name", "kwargs"), VARIANTS, ids=IDS)
def test_parameters_are_updated_in_place(name, kwargs):
    optimizer = registry.optimizers.create(name, **kwargs)
    params = _params(np.float32)
    before = [param.copy() for param in params]
    addresses = [param.__array_interface__["data"][0] for param in params]
    objects = list(params)
    for grads in _gradients(np.float32, 3):
        optimizer.step(params, grads)
    for param, obj, address, old in zip(params, objects, addresses, before):
        assert param is obj
        assert param.__array_interface__["data"][0] == address
        assert not np.array_equal(param, old), "the step should have changed the parameter"


def _traced_peak(function):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        baseline = tracemalloc.get_traced_memory()[0]
        function()
        return tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("name", "kwargs"), VARIANTS, ids=IDS)
def test_a_step_allocates_no_parameter_sized_array(name, kwargs):
    """After the first step (which creates the state), steps reuse their buffers: NumPy reports every
    array allocation to tracemalloc, so a temporary as big as the parameter would show in the peak."""
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(256, 128)).astype(np.float32), rng.normal(size=256).astype(np.float32)]
    grads = [rng.normal(size=param.shape).astype(np.float32) for param in params]
    optimizer = registry.optimizers.create(name, **kwargs)
    for _ in range(2):  # the first steps create the state and the work buffers
        optimizer.step(params, grads)
    budget = params[0].nbytes // 8
    assert _traced_peak(lambda: params[0].__sub__(grads[0])) >= params[0].nbytes  # the measurement sees temporaries
    assert _traced_peak(lambda: optimizer.step(params, grads)) < budget


def _serialised(state):
    """Through an .npz file and back: a state dict holds nothing but plain numbers, lists and arrays
    (``state`` is ``{name: {key: array}}``, flattened here to ``state/<name>/<key>``)."""
    flat = {key: value for key, value in state.items() if key not in ("state", "group_learning_rates")}
    for name, entries in state["state"].items():
        flat.update({f"state/{name}/{key}": value for key, value in entries.items()})
    buffer = io.BytesIO()
    np.savez(buffer, **flat)
    buffer.seek(0)
    with np.load(buffer, allow_pickle=False) as loaded:
        restored = {"state": {}, "group_learning_rates": list(state["group_learning_rates"])}
        for key in loaded.files:
            if key.startswith("state/"):
                _, name, entry = key.split("/")
                restored["state"].setdefault(name, {})[entry] = loaded[key]
            else:
                restored[key] = loaded[key]
        return restored


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("name", "kwargs"), VARIANTS, ids=IDS)
def test_state_dict_round_trip_continues_bit_identically(name, kwargs, dtype):
    optimizer = registry.optimizers.create(name, **kwargs)
    params = _params(dtype)
    gradients = _gradients(dtype, 20)
    for grads in gradients[:10]:
        optimizer.step(params, [grad.copy() for grad in grads])
    saved = _serialised(optimizer.state_dict())
    restored = registry.optimizers.create(name, **optimizer.get_config())
    restored.load_state_dict(saved)
    restored_params = [param.copy() for param in params]
    for grads in gradients[10:]:
        optimizer.step(params, [grad.copy() for grad in grads])
        restored.step(restored_params, [grad.copy() for grad in grads])
    for param, other in zip(params, restored_params):
        assert other.dtype == dtype
        assert np.array_equal(param, other)
    assert restored.iterations == optimizer.iterations == 20


def test_state_dict_is_a_snapshot_not_a_view():
    optimizer = registry.optimizers.create("adam")
    params = _params(np.float64)
    optimizer.step(params, _gradients(np.float64, 1)[0])
    saved = optimizer.state_dict()
    frozen = copy.deepcopy(saved)
    optimizer.step(params, _gradients(np.float64, 1, seed=5)[0])
    assert frozen["state"].keys() == saved["state"].keys()
    for name, entries in frozen["state"].items():
        for key, value in entries.items():
            np.testing.assert_array_equal(saved["state"][name][key], value)


def test_per_parameter_step_counts_follow_torch():
    """A parameter that joins later (a layer added after some training) starts its own count at 1."""
    optimizer = registry.optimizers.create("adam")
    first = [np.zeros(3)]
    for _ in range(4):
        optimizer.step(first, [np.ones(3)])
    both = [first[0], np.zeros(2)]
    optimizer.step(both, [np.ones(3), np.ones(2)])
    assert int(optimizer.state["0"]["step"]) == 5 and int(optimizer.state["1"]["step"]) == 1
    np.testing.assert_allclose(both[1], -0.001 * np.ones(2) / (1 + 1e-8), rtol=1e-12)


def test_learning_rate_changes_between_steps_take_effect():
    optimizer = registry.optimizers.create("sgd", learning_rate=0.1)
    param = np.array([1.0])
    optimizer.step([param], [np.array([1.0])])
    optimizer.learning_rate = 0.01
    optimizer.step([param], [np.array([1.0])])
    np.testing.assert_allclose(param, 1.0 - 0.1 - 0.01, rtol=1e-15)


def test_mismatched_parameter_and_gradient_lists_are_refused():
    optimizer = registry.optimizers.create("sgd")
    with pytest.raises(ValueError, match="2 parameters but 1 gradients"):
        optimizer.step([np.zeros(2), np.zeros(3)], [np.zeros(2)])


def test_a_float64_checkpoint_loaded_for_float32_parameters_keeps_float32():
    source = registry.optimizers.create("adam")
    source.step(_params(np.float64), _gradients(np.float64, 1)[0])
    target = registry.optimizers.create("adam")
    target.load_state_dict(source.state_dict())
    params = _params(np.float32)
    target.step(params, _gradients(np.float32, 1)[0])
    assert all(param.dtype == np.float32 for param in params)
    for entries in target.state.values():
        assert entries["exp_avg"].dtype == entries["exp_avg_sq"].dtype == np.float32
    assert int(target.state["0"]["step"]) == 2
