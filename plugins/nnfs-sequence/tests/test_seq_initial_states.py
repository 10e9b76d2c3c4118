"""The recurrent layers' initial and final states (`run` / `run_backward`): every gradient, the initial
states' included, against central finite differences in float64; what `run` refuses; and that the states
it was given belong to the call."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nnfs_core.errors import ShapeError

RECURRENT = ("rnn", "lstm", "gru")
EPS = 1e-6


def _states(name: str, layer: Any, n: int, rng: np.random.Generator) -> list[np.ndarray]:
    shape = (layer.num_layers * (2 if layer.bidirectional else 1), n, layer.hidden_size)
    return [rng.standard_normal(shape) for _ in range(2 if name == "lstm" else 1)]


def _pack(name: str, states: list[np.ndarray]) -> Any:
    return tuple(states) if name == "lstm" else states[0]


def _listed(name: str, states: Any) -> list[np.ndarray]:
    return list(states) if name == "lstm" else [states]


@pytest.mark.parametrize("name", RECURRENT)
def test_run_gradients_match_finite_differences(name, seq_cases, seq_build):
    """L = sum(y G) + sum(final_k F_k): d L / d x, d L / d each initial state and d L / d every parameter."""
    rng = np.random.default_rng(len(name))
    for config, shape in seq_cases(name, 4, seed=7):
        check_run_gradients(name, seq_build(name, config, shape), int(rng.integers(1, 3)), rng)


def check_run_gradients(name: str, layer: Any, n: int, rng: np.random.Generator) -> None:
    x = rng.standard_normal((n, *layer.input_shape))
    starts = _states(name, layer, n, rng)
    y, _, cache = layer.run(x, _pack(name, starts))
    upstream, final_grads = rng.standard_normal(y.shape), _states(name, layer, n, rng)

    def loss() -> float:
        out, ends, _ = layer.run(x, _pack(name, starts))
        return float((out * upstream).sum() + sum((end * g).sum() for end, g in zip(_listed(name, ends), final_grads)))

    grad_x, grad_initial = layer.run_backward(upstream, cache, _pack(name, final_grads))
    analytic = {"x": (x, grad_x)}
    for k, (start, grad) in enumerate(zip(starts, _listed(name, grad_initial))):
        analytic[f"initial state {k}"] = (start, grad)
    analytic |= {key: (layer.params[key], layer.grads[key].copy()) for key in layer.params}
    for what, (array, grad) in analytic.items():
        for index in list(np.ndindex(array.shape))[:: max(1, array.size // 12)]:
            saved = array[index]
            array[index] = saved + EPS
            up = loss()
            array[index] = saved - EPS
            down = loss()
            array[index] = saved
            np.testing.assert_allclose(grad[index], (up - down) / (2 * EPS), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{name}({layer.get_config()}): d L / d {what}{index}")


@pytest.mark.parametrize("name", RECURRENT)
def test_run_from_zeros_is_the_layer_in_a_list(name, seq_build):
    """No initial state is zeros: the output and the gradients of the list's forward_pass/backward_pass, and the
    initial state's gradient is that of zeros given explicitly."""
    rng = np.random.default_rng(3)
    layer = seq_build(name, {"hidden_size": 3, "num_layers": 2, "bidirectional": True}, (4, 2))
    x, upstream = rng.standard_normal((2, 4, 2)), rng.standard_normal((2, 4, 6))
    y, cache = layer.forward_pass(x)
    grad_x = layer.backward_pass(upstream, cache)
    grads = {key: value.copy() for key, value in layer.grads.items()}
    y_run, _, run_cache = layer.run(x)
    grad_run, grad_initial = layer.run_backward(upstream, run_cache)
    np.testing.assert_array_equal(y_run, y)
    np.testing.assert_array_equal(grad_run, grad_x)
    for key, value in grads.items():
        np.testing.assert_allclose(layer.grads[key], value, rtol=1e-12, atol=1e-14, err_msg=key)
    zeros = [np.zeros((4, 2, 3)) for _ in range(2 if name == "lstm" else 1)]
    _, _, zero_cache = layer.run(x, _pack(name, zeros))
    _, grad_zero = layer.run_backward(upstream, zero_cache)
    for mine, theirs in zip(_listed(name, grad_initial), _listed(name, grad_zero)):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("name", RECURRENT)
def test_final_state_feeds_the_next_chunk(name, seq_build):
    """Running a sequence in two chunks, the second from the first's final state, equals running it whole."""
    rng = np.random.default_rng(4)
    layer = seq_build(name, {"hidden_size": 4, "num_layers": 2}, (6, 3))
    x = rng.standard_normal((2, 6, 3))
    whole, final_whole, _ = layer.run(x)
    first, state, _ = layer.run(x[:, :2])
    second, final, _ = layer.run(x[:, 2:], state)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-12, atol=1e-14)
    for a, b in zip(_listed(name, final), _listed(name, final_whole)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_run_refuses_states_of_the_wrong_form(seq_build):
    lstm = seq_build("lstm", {"hidden_size": 3, "num_layers": 2, "bidirectional": True}, (4, 2))
    gru = seq_build("gru", {"hidden_size": 3}, (4, 2))
    x = np.zeros((5, 4, 2))
    good = np.zeros((4, 5, 3))
    with pytest.raises(TypeError, match=r"pair \(h, c\)"):
        lstm.run(x, good)
    with pytest.raises(ShapeError, match=r"initial_state\[1\] .*\(4, 5, 3\).*\(2, 5, 3\)"):
        lstm.run(x, (good, np.zeros((2, 5, 3))))
    with pytest.raises(ShapeError, match=r"\(1, 5, 3\).*\(1, 4, 3\)"):
        gru.run(x, np.zeros((1, 4, 3)))  # a batch of 4 states for 5 sequences
    with pytest.raises(ShapeError, match="numbers"):
        gru.run(x, np.full((1, 5, 3), "a"))
    _, _, cache = gru.run(x)
    with pytest.raises(ShapeError, match="grad_final_state"):
        gru.run_backward(np.zeros((5, 4, 3)), cache, np.zeros((2, 5, 3)))


def test_states_given_to_run_belong_to_the_call(seq_build):
    """run reads the arrays it is given and never writes them; changing them between run and run_backward
    changes nothing in the backward."""
    rng = np.random.default_rng(5)
    layer = seq_build("lstm", {"hidden_size": 3}, (4, 2))
    x = rng.standard_normal((2, 4, 2))
    h0, c0 = rng.standard_normal((1, 2, 3)), rng.standard_normal((1, 2, 3))
    kept = h0.copy(), c0.copy()
    upstream, grad_c = rng.standard_normal((2, 4, 3)), rng.standard_normal((1, 2, 3))
    _, _, cache = layer.run(x, (h0, c0))
    np.testing.assert_array_equal(h0, kept[0])
    np.testing.assert_array_equal(c0, kept[1])
    _, _, untouched = layer.run(x, kept)
    expected = layer.run_backward(upstream, untouched, (None, grad_c))
    h0 += 1.0
    c0 -= 1.0
    got = layer.run_backward(upstream, cache, (None, grad_c))
    np.testing.assert_array_equal(got[0], expected[0])
    for a, b in zip(got[1], expected[1]):
        np.testing.assert_array_equal(a, b)
