"""What RNN, LSTM and GRU share: PyTorch's parameters, layers and directions, dropout, and the passes.

A subclass says how many gate blocks its weights have (``gates``) and states it carries (``state_count``)
and implements one direction of one layer over a whole sequence: ``_recur`` (the recurrence, given the
input projection of every step and the initial states) and ``_recur_backward`` (back through time, to
the initial states too). Everything else - the input projection of all steps in one product, the weight
gradients in one product each, stacking layers and directions, torch's (K, N, H) states - is here.

Internally sequences are time-major, (L, N, features), so that each step's slice is contiguous.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar, NamedTuple

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.validation import check_flag, check_int, check_number
from nnfs_sequence._states import States, check_states, pack, slot

__all__ = ["RecurrentBase", "States"]


class _Names(NamedTuple):
    """The parameter names of one layer and direction: ``weight_ih_l0``, ..., ``bias_hh_l1_reverse``."""

    weight_ih: str
    weight_hh: str
    bias_ih: str
    bias_hh: str


class _LayerCache(NamedTuple):
    inputs: Array            # (L, N, F) what this layer read
    outputs: Array           # (L, N, D H) its hidden states, both directions side by side
    directions: list[Any]    # what each direction's _recur kept
    mask: Array | None       # the dropout mask applied to ``outputs`` before the next layer (scaled)
    initial: list[States | None]  # each direction's initial states (None: zeros)


def _with_ones(inputs: Array) -> Array:
    """(L, N, F) -> (L N, F + 1): the rows of ``inputs`` with a 1 after them, for the bias in the product."""
    rows = np.empty((inputs.shape[0] * inputs.shape[1], inputs.shape[2] + 1), dtype=inputs.dtype)
    rows[:, :-1] = inputs.reshape(-1, inputs.shape[2])
    rows[:, -1] = 1
    return rows


class RecurrentBase(BaseLayer):
    """Base class of the recurrent layers: batch-first (N, L, F) in, (N, L, D H) or (N, D H) out.

    Parameters
    ----------
    hidden_size : int
        Features of the hidden state H.
    num_layers : int
        Recurrent layers stacked, each reading the previous one's hidden states.
    bidirectional : bool
        Run a second recurrence from the last step to the first in every layer (D = 2) and concatenate
        its hidden states after the forward ones.
    return_sequences : bool
        Return every step's hidden state of the last layer (N, L, D H), as PyTorch's ``output``; when False,
        the last state only (N, D H): the forward direction's at step L - 1 and the reverse direction's at
        step 0, which is ``torch.cat([h_n[-2], h_n[-1]], 1)`` (``h_n[-1]`` with one direction).
    dropout : float
        Probability of zeroing a hidden feature between layers while training (not after the last layer).
    use_bias : bool
        Learn ``bias_ih`` and ``bias_hh`` (PyTorch's ``bias``).
    """

    #: How many H-row blocks the weights stack (LSTM 4, GRU 3, RNN 1).
    gates: ClassVar[int] = 1
    #: How many states the recurrence carries: h (1), or the LSTM's h and c (2).
    state_count: ClassVar[int] = 1
    example_args: ClassVar[dict[str, Any]] = {"hidden_size": 3}
    example_input_shape: ClassVar[tuple[int, ...]] = (4, 3)

    def __init__(self, hidden_size: int, *, num_layers: int = 1, bidirectional: bool = False,
                 return_sequences: bool = True, dropout: float = 0.0, use_bias: bool = True) -> None:
        super().__init__()
        owner = type(self).__name__
        self.hidden_size = check_int(owner, "hidden_size", hidden_size)
        self.num_layers = check_int(owner, "num_layers", num_layers)
        self.bidirectional = check_flag(owner, "bidirectional", bidirectional)
        self.return_sequences = check_flag(owner, "return_sequences", return_sequences)
        self.dropout = check_number(owner, "dropout", dropout, low=0.0, high=1.0, high_open=True)
        self.use_bias = check_flag(owner, "use_bias", use_bias)

    @property
    def training_differs(self) -> bool:  # type: ignore[override]
        """Dropout between layers makes training differ from inference."""
        return self.dropout > 0 and self.num_layers > 1

    @property
    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def _names(self, layer: int, suffix: str) -> _Names:
        return _Names(*(f"{kind}_l{layer}{suffix}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")))

    def _input_sizes(self, features: int) -> list[int]:
        width = len(self._suffixes) * self.hidden_size
        return [features] + [width] * (self.num_layers - 1)

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """Values build keeps (weights, biases, their gradients); one sample's scratch (gates, states per step)."""
        if len(input_shape) != 2:
            return 0, 0
        steps, features = input_shape
        rows = self.gates * self.hidden_size
        held = sum(rows * (size + self.hidden_size + 2 * self.use_bias) for size in self._input_sizes(features))
        directions = len(self._suffixes)
        scratch = self.num_layers * directions * steps * (2 * rows + 3 * self.hidden_size)
        return 2 * directions * held, scratch

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        owner = type(self).__name__
        if len(input_shape) != 2:
            raise ShapeError(f"{owner} expects sequences (N, L, features) (batch first), so a per-sample input "
                             f"shape (L, features); got {tuple(input_shape)}")
        super().build(input_shape, rng=rng, dtype=dtype)
        self._rng = rng
        bound = 1.0 / math.sqrt(self.hidden_size)  # PyTorch: every weight and bias from U(-1/sqrt(H), 1/sqrt(H))
        rows = self.gates * self.hidden_size
        for layer, size in enumerate(self._input_sizes(int(input_shape[1]))):
            for suffix in self._suffixes:
                names = self._names(layer, suffix)
                shapes: dict[str, tuple[int, ...]] = {names.weight_ih: (rows, size),
                                                      names.weight_hh: (rows, self.hidden_size)}
                if self.use_bias:
                    shapes |= {names.bias_ih: (rows,), names.bias_hh: (rows,)}
                for name, shape in shapes.items():
                    self.params[name] = rng.uniform(-bound, bound, shape).astype(self.dtype)
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        width = len(self._suffixes) * self.hidden_size
        self.output_shape = (int(input_shape[0]), width) if self.return_sequences else (width,)
        return self.output_shape

    # -- what a cell implements ---------------------------------------------------------------------------
    def _input_bias(self, names: _Names) -> Array | None:
        """The bias added to the input projection of every step (both biases where the cell allows it)."""
        if not self.use_bias:
            return None
        return self.params[names.bias_ih] + self.params[names.bias_hh]

    def _scale(self) -> Array | None:
        """A factor (G H,) for each row of the pre-activations, applied to the input projection (bias included);
        the cell scales W_hh alike. None: no scaling."""
        return None

    def _recur(self, gates: Array, names: _Names, reverse: bool, out: Array, initial: States | None) -> Any:
        """One direction's recurrence: ``gates`` (L, N, G H) holds each step's input projection (this call
        owns it and may overwrite it); ``initial`` this direction's initial states, each (N, H), or None for
        zeros; write h_t into ``out[t]`` (L, N, H); return what backward needs."""
        raise NotImplementedError

    def _final_cells(self, cache: Any, reverse: bool) -> States:
        """The final states other than h (the LSTM's c_n), each (N, H), from what `_recur` returned."""
        return ()

    def _recur_backward(self, grad: Array, cache: Any, names: _Names, reverse: bool, out: Array,
                        grad_cells: States | None) -> tuple[Array, Array, States]:
        """Back through time from d loss / d h_t for every t (``grad``, (L, N, H)) and of the final states other
        than h (``grad_cells``, or None): the gradients of the input projection and of the hidden projection
        (h_{t-1} W_hh^T) of every step, each (L, N, G H), and of this direction's initial states."""
        raise NotImplementedError

    # -- the passes -----------------------------------------------------------------------------------------
    def _check_input(self, x: Array) -> Array:
        features = self.input_shape[1]  # type: ignore[index]
        if x.ndim != 3 or x.shape[2] != features or x.shape[1] < 1:
            raise ShapeError(f"{type(self).__name__} expects sequences (N, L, {features}) (batch first, L >= 1), "
                             f"got an array of shape {x.shape}")
        return x

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        return self._forward(self._check_input(x), None, training)

    def backward_pass(self, grad: Array, cache: Any) -> Any:
        return self._backward(grad, cache, None, want_initial=False)[0]

    def run(self, x: Array, initial_state: Any = None, *, training: bool = False) -> tuple[Array, Any, Any]:
        """torch's ``forward(input, hx)``: ``(y, final_state, cache)``; hand the cache to `run_backward`.

        ``initial_state``: h_0 (K, N, H) for `rnn` and `gru`, the pair (h_0, c_0) for `lstm`, with
        K = num_layers * D in torch's order (layer by layer, the forward direction before the reverse one);
        None starts from zeros. ``final_state`` has the same form: h_n (and c_n), the state after each
        direction's last step. ``y`` is what the layer returns in a list (``return_sequences``)."""
        x = self._check_input(x)
        initial = self._check_states("initial_state", initial_state, x.shape[0])
        y, caches = self._forward(x, initial, training)
        return y, pack(self._final_states(caches), self.state_count), caches

    def run_backward(self, grad: Array, cache: Any, grad_final_state: Any = None) -> tuple[Array | None, Any]:
        """``(d loss / d x, d loss / d initial_state)`` from d loss / d y and, optionally, d loss / d final_state
        (the form `run` returned it in; None, or None for one of the LSTM's pair, counts as zero). Fills every
        parameter's gradient. The initial state's gradient has `run`'s form, and is there (at zero) when
        `run` started from zeros."""
        caches: list[_LayerCache] = cache
        grad_final = self._check_states("grad_final_state", grad_final_state, caches[0].inputs.shape[1],
                                        allow_none=True)
        grad_x, grad_initial = self._backward(grad, caches, grad_final, want_initial=True)
        return grad_x, pack(grad_initial, self.state_count)

    def _check_states(self, what: str, states: Any, n: int, *, allow_none: bool = False) -> list[Array | None] | None:
        shape = (self.num_layers * len(self._suffixes), n, self.hidden_size)
        return check_states(type(self).__name__, what, states, self.state_count, shape, self.dtype,
                            allow_none=allow_none)

    def _forward(self, x: Array, initial: list[Array | None] | None, training: bool) -> tuple[Array, Any]:
        hidden = self.hidden_size
        inputs = np.ascontiguousarray(x.transpose(1, 0, 2))
        caches: list[_LayerCache] = []
        for layer in range(self.num_layers):
            outputs = np.empty((*inputs.shape[:2], len(self._suffixes) * hidden), dtype=self.dtype)
            kept, starts = [], []
            rows = _with_ones(inputs) if self.use_bias else inputs.reshape(-1, inputs.shape[2])
            for direction, suffix in enumerate(self._suffixes):
                names = self._names(layer, suffix)
                gates = self.ops.matmul(rows, self._input_weight(names)).reshape(*inputs.shape[:2], -1)
                part = outputs[..., direction * hidden:(direction + 1) * hidden]
                start = slot(initial, layer * len(self._suffixes) + direction, self.dtype)
                starts.append(start)
                kept.append(self._recur(gates, names, direction == 1, part, start))
            mask = None
            if training and self.dropout > 0 and layer < self.num_layers - 1:
                keep = self._rng.random(outputs.shape, dtype=self.dtype) >= self.dropout
                mask = keep.astype(self.dtype) / self.dtype.type(1.0 - self.dropout)
            caches.append(_LayerCache(inputs, outputs, kept, mask, starts))
            inputs = outputs if mask is None else outputs * mask
        last = caches[-1].outputs
        if self.return_sequences:
            return np.ascontiguousarray(last.transpose(1, 0, 2)), caches
        y = last[-1].copy()
        if self.bidirectional:
            y[:, hidden:] = last[0, :, hidden:]
        return y, caches

    def _input_weight(self, names: _Names) -> Array:
        """W_ih^T (F, G H), with the input bias as an extra row when there are biases (the rows of x get a
        column of ones): one product gives every step's input projection, bias included. Scaled by `_scale`."""
        weight = self.params[names.weight_ih]
        bias = self._input_bias(names)
        if bias is not None:
            weight = np.concatenate([weight, bias[:, None]], axis=1)
        scale = self._scale()
        if scale is not None:
            weight = weight * scale[:, None]
        return np.ascontiguousarray(weight.T)

    def _final_states(self, caches: list[_LayerCache]) -> list[Array]:
        """h_n (and c_n), each (K, N, H): every direction's state after its last step."""
        hidden = self.hidden_size
        finals: list[list[Array]] = [[] for _ in range(self.state_count)]
        for cache in caches:
            for direction, kept in enumerate(cache.directions):
                reverse = direction == 1
                finals[0].append(cache.outputs[0 if reverse else -1, :, direction * hidden:(direction + 1) * hidden])
                for k, cell in enumerate(self._final_cells(kept, reverse), start=1):
                    finals[k].append(cell)
        return [np.stack(states) for states in finals]

    def _output_grad(self, grad: Array, last: Array) -> Array:
        """d loss / d (last layer's hidden states), time-major, from the gradient of the layer's output (a new
        array: backward adds the final state's gradient into it)."""
        if self.return_sequences:
            return np.array(grad.transpose(1, 0, 2), dtype=self.dtype, order="C")
        full = np.zeros_like(last)
        hidden = self.hidden_size
        full[-1, :, :hidden] = grad[:, :hidden]
        if self.bidirectional:
            full[0, :, hidden:] = grad[:, hidden:]
        return full

    def _backward(self, grad: Array, caches: list[_LayerCache], grad_final: list[Array | None] | None,
                  want_initial: bool) -> tuple[Array | None, list[Array]]:
        hidden = self.hidden_size
        directions = len(self._suffixes)
        grad_initial: list[list[Array]] = [[] for _ in range(self.state_count)]
        grad_outputs = self._output_grad(grad, caches[-1].outputs)
        grad_x_out: Array | None = None
        for layer in reversed(range(self.num_layers)):
            inputs, outputs, kept, _, starts = caches[layer]
            needed = layer > 0 or not self.skip_input_grad
            grad_inputs: Array | None = None
            per_direction: list[States] = []
            for direction, suffix in enumerate(self._suffixes):
                names = self._names(layer, suffix)
                reverse = direction == 1
                window = slice(direction * hidden, (direction + 1) * hidden)
                row = layer * directions + direction
                if grad_final is not None and grad_final[0] is not None:
                    grad_outputs[0 if reverse else -1, :, window] += grad_final[0][row]
                grad_cells = None if grad_final is None else slot(grad_final[1:], row, self.dtype)
                grad_x, grad_h, grad_start = self._recur_backward(grad_outputs[..., window], kept[direction], names,
                                                                  reverse, outputs[..., window], grad_cells)
                per_direction.append(grad_start)
                start = starts[direction]
                self._weight_grads(names, inputs, outputs[..., window], grad_x, grad_h, reverse,
                                   None if start is None else start[0])
                if needed:
                    part = self.ops.matmul(grad_x.reshape(-1, grad_x.shape[2]), self.params[names.weight_ih])
                    grad_inputs = part if grad_inputs is None else grad_inputs + part
            for k in range(self.state_count):
                grad_initial[k][:0] = [states[k] for states in per_direction]
            if grad_inputs is None:
                break
            grad_outputs = grad_inputs.reshape(inputs.shape)
            if layer > 0 and caches[layer - 1].mask is not None:
                grad_outputs = grad_outputs * caches[layer - 1].mask
            if layer == 0:
                grad_x_out = np.ascontiguousarray(grad_outputs.transpose(1, 0, 2))
        if not want_initial:
            return grad_x_out, []
        return grad_x_out, [np.stack(states) for states in grad_initial]

    def _weight_grads(self, names: _Names, inputs: Array, outputs: Array, grad_x: Array, grad_h: Array,
                      reverse: bool, start: Array | None) -> None:
        """Each weight's gradient in one product over all steps: h_{t-1} is the step before in the run's order,
        and the initial state ``start`` (N, H) before the first (nothing when it is zero)."""
        rows = grad_x.shape[2]
        self.ops.matmul(grad_x.reshape(-1, rows).T, inputs.reshape(-1, inputs.shape[2]),
                        out=self.grads[names.weight_ih])
        grad_hh = self.grads[names.weight_hh]
        if outputs.shape[0] == 1:
            grad_hh.fill(0)
        else:
            later, earlier = (grad_h[:-1], outputs[1:]) if reverse else (grad_h[1:], outputs[:-1])
            self.ops.matmul(later.reshape(-1, rows).T, earlier.reshape(-1, earlier.shape[2]), out=grad_hh)
        if start is not None:
            grad_hh += self.ops.matmul(grad_h[-1 if reverse else 0].T, start)
        if self.use_bias:
            grad_x.reshape(-1, rows).sum(axis=0, out=self.grads[names.bias_ih])
            if grad_h is grad_x:  # the LSTM's and RNN's: both biases get the same gradient
                self.grads[names.bias_hh][...] = self.grads[names.bias_ih]
            else:
                grad_h.reshape(-1, rows).sum(axis=0, out=self.grads[names.bias_hh])

    def _steps(self, count: int, reverse: bool) -> range:
        """The order a direction visits the steps in."""
        return range(count - 1, -1, -1) if reverse else range(count)
