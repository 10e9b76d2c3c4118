"""What a layer, a loss, an optimizer and a scheduler are.

Two things live here for each kind: a runtime-checkable ``typing.Protocol`` (the contract; any object
with these members works, whatever it inherits from) and a small base class that implementations may
inherit to get the boring parts for free (``params``/``grads``/``state`` dictionaries, shape bookkeeping
and a ``get_config`` read off the constructor's signature). No ``__init__`` here raises.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from nnfs_core._config import to_jsonable

__all__ = [
    "Layer",
    "Loss",
    "Optimizer",
    "Scheduler",
    "BaseLayer",
    "BaseLoss",
    "BaseOptimizer",
    "BaseScheduler",
    "BaseCallback",
    "Array",
    "run_forward",
    "run_backward",
    "run_inference",
    "inference_shortcut",
    "loss_forward",
    "loss_backward",
]

Array = npt.NDArray[Any]


@runtime_checkable
class Layer(Protocol):
    """A differentiable map applied to a batch: the first release's layer protocol.

    Any object with these members is a layer, whatever it inherits from; ``BaseLayer`` adds the
    Network's richer pair (``forward_pass``/``backward_pass``, an explicit cache) on top. Arrays are batch
    first. See docs/architecture.md for the whole contract and [Writing a pack](../writing-a-pack.md)
    for a worked layer.

    Attributes
    ----------
    params : dict of str to ndarray
        Trainable arrays, named and laid out as in PyTorch (``"weight"``, ``"bias"``).
    grads : dict of str to ndarray
        The same keys and shapes, filled by ``backward``.
    """

    params: dict[str, Array]
    grads: dict[str, Array]

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        """Allocate the parameters for a per-sample ``input_shape`` (no batch axis); return the output's.

        ``rng`` is the only source of randomness and ``dtype`` the dtype of every array made.
        """

    def forward(self, x: Array, *, training: bool = False) -> Array:
        """The output for a batch ``x`` of shape (N, *input_shape); ``x`` is never written into."""

    def backward(self, grad: Array) -> Array:
        """d loss / d x from d loss / d y of the last ``forward``; fills ``grads``."""

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments, JSON-safe: ``type(layer)(**layer.get_config())`` rebuilds it."""


@runtime_checkable
class Loss(Protocol):
    """A scalar objective, mean-reduced over the batch, and its gradient (``BaseLoss`` implements it)."""

    def forward(self, y_pred: Array, y_true: Array) -> float:
        """The loss, averaged over the batch (PyTorch's ``reduction="mean"``)."""

    def backward(self, y_pred: Array, y_true: Array) -> Array:
        """d loss / d y_pred, of the shape of ``y_pred``."""

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments, JSON-safe."""


@runtime_checkable
class Optimizer(Protocol):
    """Updates parameter arrays in place from their gradients.

    ``step`` takes ``{name: array}`` mappings keyed by the parameters' paths when the optimizer has
    ``keys_by_name = True`` (every ``BaseOptimizer``), and two lists otherwise (the first release's
    protocol, still driven; such an optimizer can only key its state by position).
    """

    learning_rate: float

    def step(self, params: Any, grads: Any) -> None:
        """Update each parameter in place from its gradient (mappings by path, or two lists)."""

    def state_dict(self) -> dict[str, Any]:
        """Everything the optimizer needs to resume, as plain numbers and arrays."""

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""

    def get_config(self) -> dict[str, Any]:
        """The constructor's arguments, JSON-safe."""


@runtime_checkable
class Scheduler(Protocol):
    """Changes an optimizer's learning rate as training goes; stepped through the lifecycle hooks.

    ``BaseScheduler`` implements it; ``interval`` is ``"epoch"`` or ``"batch"``: when ``step`` is called.
    """

    interval: str

    def attach(self, optimizer: Optimizer) -> None:
        """Take control of ``optimizer.learning_rate`` (called when fitting starts)."""

    def step(self, logs: dict[str, float] | None = None) -> None:
        """Advance one epoch or batch and set the optimizer's new learning rate."""

    def state_dict(self) -> dict[str, Any]:
        """Everything the scheduler needs to resume."""

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""


class _Configurable:
    """``get_config`` from the constructor's signature: each argument is read back from ``self.<name>``.

    Subclasses store every constructor argument under its own name, as scikit-learn estimators do, and
    get a JSON-safe config that ``type(self)(**config)`` rebuilds.
    """

    #: Constructor arguments the conformance kit (``nnfs_core.testing``) uses when it must create the
    #: component on its own, e.g. ``{"output_size": 3}`` for Dense. Empty when the defaults will do.
    example_args: ClassVar[dict[str, Any]] = {}
    #: Checks of the kit this component fails for a documented reason, e.g.
    #: ``{"check_gradients": "the kink at 0 is not differentiable"}``. Wherever the kit runs (``check_layer``
    #: and friends, ``parametrize_with_checks``, ``check_distribution``, ``nnfs plugins --check``) these
    #: are expected failures, and an unexpected pass is reported so that the entry is removed.
    expected_failed_checks: ClassVar[dict[str, str]] = {}

    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {}
        for name, parameter in inspect.signature(type(self).__init__).parameters.items():
            if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
                continue
            config[name] = to_jsonable(getattr(self, name), f"{type(self).__name__}.{name}")
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any:
        return cls(**config)

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self.get_config().items())
        return f"{type(self).__name__}({arguments})"


class _Stateful:
    """The cache of a first-release layer: it keeps what backward needs on itself."""

    def __repr__(self) -> str:
        return "STATEFUL"


#: What ``run_forward`` returns as the cache of a layer that only has ``forward``/``backward``.
STATEFUL: Any = _Stateful()


class BaseLayer(_Configurable):
    """Base class for layers: storage for parameters, gradients and state, and identity shape inference.

    A layer implements the pair the Network calls (docs/architecture.md, "The life of a training step"):

        forward_pass(x, *, training=False) -> (y, cache)   # cache: whatever backward_pass needs
        backward_pass(grad, cache) -> d loss / d x          # and fills self.grads

    What backward needs belongs to the forward call that made it, so an inference call, another thread or
    the same layer used twice never changes a pending backward's result. Heavy work goes through
    ``self.ops`` (``nnfs_core.ops``). Subclasses override ``build`` (call ``super().build(...)``
    first, then allocate parameters from ``rng`` in ``dtype``, set ``self.output_shape`` if it differs and
    return it) and the pair above.

    The first release's pair, ``forward(x, *, training=False) -> y`` and ``backward(grad) -> d x`` with the
    layer keeping its own cache, still works both ways: a layer that implements only that pair is driven
    through it, and every layer keeps answering it (this class keeps the last forward's cache for
    ``backward``), for code that drives one layer by hand.

    Attributes
    ----------
    params, grads : dict of str to ndarray
        Trainable arrays and their gradients (same keys, same shapes).
    state : dict of str to ndarray
        Non-trainable arrays that are saved with the model (BatchNorm running statistics).
    trainable : bool
        When False the network hands none of this layer's parameters to the optimizer.
    skip_input_grad : bool
        Set by the network on the first layer: nobody needs d loss / d input, so a layer may skip it
        and return ``None`` from its backward.
    ops : nnfs_core.ops.Ops
        The compute backend, set by the network before ``build``; the default backend otherwise.
    """

    #: Per-sample input shape the conformance kit builds the layer for, e.g. ``(3, 6, 6)`` (C, H, W).
    example_input_shape: ClassVar[tuple[int, ...]] = (3, 6, 6)
    #: True when the output legitimately depends on ``training`` (Dropout, BatchNorm); the kit checks
    #: that every other layer gives the same output in both modes.
    training_differs: ClassVar[bool] = False
    #: True when the layer's work is worth cutting over threads (convolutions, BatchNorm on feature maps):
    #: the CPU backend then holds the BLAS to one thread per call for the whole fit/predict/evaluate and
    #: splits products and kernels itself (see nnfs_core.ops.cpu_ops). A class attribute, or set per
    #: instance in ``build``. A declaration only: the layer itself never touches threads.
    parallel: bool = False
    #: The dtype of the input the layer takes when that is not the network's float dtype: an integer dtype
    #: such as ``"int64"`` for ids (an embedding). A network whose first layer declares one casts its input
    #: to it instead of to float (and refuses float input); the kit feeds such a layer
    #: ``example_input``, and expects no input gradient from ``backward`` (it may return ``None``).
    input_dtype: ClassVar[str | None] = None

    def __init__(self) -> None:
        self.params: dict[str, Array] = {}
        self.grads: dict[str, Array] = {}
        self.state: dict[str, Array] = {}
        self.trainable = True
        self.skip_input_grad = False
        self.built = False
        self.input_shape: tuple[int, ...] | None = None
        self.output_shape: tuple[int, ...] | None = None
        self.dtype: np.dtype[Any] = np.dtype(np.float32)

    @property
    def ops(self) -> Any:
        """The compute backend (``nnfs_core.ops``): the network's, or the default one."""
        backend = self.__dict__.get("_ops")
        if backend is None:
            from nnfs_core import ops

            backend = self.__dict__["_ops"] = ops.get()
        return backend

    @ops.setter
    def ops(self, backend: Any) -> None:
        self.__dict__["_ops"] = backend

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        """Record the per-sample input shape and dtype; return the output shape (identity here)."""
        self.input_shape = tuple(int(size) for size in input_shape)
        self.dtype = np.dtype(dtype)
        self.output_shape = self.input_shape
        self.built = True
        return self.output_shape

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        """The output for a batch ``x`` and the cache ``backward_pass`` will get with its gradient."""
        if _overrides(self, "forward") is None:
            raise NotImplementedError(f"{type(self).__name__} does not implement forward_pass (or forward)")
        return self.forward(x, training=training), STATEFUL

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        """d loss / d x from d loss / d y and the cache of the forward pass that made y; fills ``self.grads``."""
        if cache is STATEFUL:
            if _overrides(self, "backward") is None:
                raise NotImplementedError(f"{type(self).__name__} does not implement backward_pass (or backward)")
            return self.backward(grad)
        raise NotImplementedError(f"{type(self).__name__} does not implement backward_pass")

    def example_input(self, shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> Array:
        """A batch the conformance kit feeds the layer: ``shape`` includes the batch axis.

        The default is normal floats of standard deviation 1.5 in ``dtype`` (the layer's float dtype), or
        integers in ``[0, 10)`` of ``input_dtype`` when that is an integer dtype. Override it when the
        layer needs other values, e.g. ids below ``num_embeddings``:

            def example_input(self, shape, *, rng, dtype):
                return rng.integers(0, self.num_embeddings, shape, dtype=self.input_dtype)
        """
        if self.input_dtype is not None and np.dtype(self.input_dtype).kind in "iu":
            return rng.integers(0, 10, shape).astype(self.input_dtype)
        return (rng.standard_normal(shape) * 1.5).astype(dtype)

    def forward(self, x: Array, *, training: bool = False) -> Array:
        """First-release form: the output only; the cache is kept on the layer for ``backward``."""
        if _overrides(self, "forward_pass") is None:
            raise NotImplementedError(f"{type(self).__name__} does not implement forward_pass (or forward)")
        y, self.__dict__["_last_cache"] = self.forward_pass(x, training=training)
        return y

    def backward(self, grad: Array) -> Array:
        """First-release form: the gradient through the last ``forward`` of this layer."""
        if _overrides(self, "backward_pass") is None:
            raise NotImplementedError(f"{type(self).__name__} does not implement backward_pass (or backward)")
        if "_last_cache" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}.backward needs a forward first")
        return self.backward_pass(grad, self.__dict__["_last_cache"])

    def zero_grads(self) -> None:
        for grad in self.grads.values():
            grad.fill(0)


def _overrides(layer: Any, name: str) -> Any:
    """The subclass's own ``name`` method, or None when only BaseLayer's adapter is there."""
    method = getattr(type(layer), name, None)
    return None if method is getattr(BaseLayer, name) else method


def run_forward(layer: Any, x: Array, *, training: bool = False) -> tuple[Array, Any]:
    """``(y, cache)`` from any layer: ``forward_pass`` when it has one, else its first-release ``forward``."""
    method = getattr(layer, "forward_pass", None)
    if method is None:
        return layer.forward(x, training=training), STATEFUL
    return method(x, training=training)


def run_inference(layer: Any, x: Array) -> Array:
    """The output of any layer in inference mode, keeping no cache: its ``inference_pass`` when it has one (a
    composite's, which folds a BatchNorm into the layer before it: ``layers.composite.infer_through``; max
    pooling's, which keeps no winning taps), else ``run_forward(layer, x, training=False)``'s output."""
    method = inference_shortcut(layer, "inference_pass")
    if method is None:
        return run_forward(layer, x, training=False)[0]
    return method(x)


def inference_shortcut(layer: Any, name: str) -> Any:
    """``layer``'s method ``name`` (``inference_pass``, ``fold_affine``, ``inference_affine``) when its class
    may use it, else None. An inference shortcut stands for the forward pass of the class that defines it,
    so a subclass that overrides ``forward_pass`` below it (``Masked`` under ``Sequential``, a layer that
    shifts BatchNorm's output) does not inherit it: it runs its own forward."""
    method = getattr(layer, name, None)
    if method is None or not callable(method) or not _shortcut_is_current(layer.__class__, name):
        return None
    return method


@functools.cache
def _shortcut_is_current(cls: Any, name: str) -> bool:
    def owner(attribute: str) -> type | None:
        return next((klass for klass in cls.__mro__ if attribute in vars(klass)), None)

    defined, forward = owner(name), owner("forward_pass") or owner("forward")
    return defined is not None and (forward is None or issubclass(defined, forward))


def run_backward(layer: Any, grad: Array, cache: Any) -> Array:
    """d loss / d x from any layer, given the cache ``run_forward`` returned with its output."""
    if cache is STATEFUL and not isinstance(layer, BaseLayer):
        return layer.backward(grad)
    return layer.backward_pass(grad, cache)


def loss_forward(loss: Any, y_pred: Array, y_true: Array) -> tuple[float, Any]:
    """``(value, cache)`` from any loss: ``forward_pass`` when it has one, else its ``forward``."""
    method = getattr(loss, "forward_pass", None)
    if method is None:
        return float(loss.forward(y_pred, y_true)), (y_pred, y_true)
    value, cache = method(y_pred, y_true)
    return float(value), cache


def loss_backward(loss: Any, cache: Any) -> Array:
    """d loss / d y_pred from any loss, given the cache ``loss_forward`` returned."""
    method = getattr(loss, "backward_pass", None)
    if method is None:
        return loss.backward(*cache)
    return method(cache)


class BaseLoss(_Configurable):
    """Base class for losses: mean-reduced ``forward`` and its gradient ``backward``.

    A loss may also implement ``forward_pass(y_pred, y_true) -> (value, cache)`` and
    ``backward_pass(cache) -> d loss / d y_pred`` to hand work from the forward to the backward (the
    softmax of CrossEntropy); the Network calls that pair when it is there (see ``loss_forward``).
    """

    def forward_pass(self, y_pred: Array, y_true: Array) -> tuple[float, Any]:
        """``(value, cache)``: the loss and what ``backward_pass`` needs (here both arrays)."""
        return self.forward(y_pred, y_true), (y_pred, y_true)

    def backward_pass(self, cache: Any) -> Array:
        """d loss / d y_pred from the cache ``forward_pass`` returned (here through ``backward``)."""
        return self.backward(*cache)

    def forward(self, y_pred: Array, y_true: Array) -> float:
        """Write this: the loss of predictions ``y_pred`` (N, ...) against ``y_true``, averaged over the batch.

        Targets of another shape than the output (class labels) need ``check_target`` overridden too.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, y_pred: Array, y_true: Array) -> Array:
        """Write this: d loss / d y_pred, the shape and dtype of ``y_pred`` (the 1/N of the mean included)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def check_target(self, output_shape: tuple[int, ...], y_true: Array) -> None:
        """Raise ``ShapeError`` if ``y_true`` cannot be compared with outputs.

        ``output_shape`` is per sample. The default asks for targets of exactly the output shape.
        """
        from nnfs_core.errors import ShapeError

        if tuple(y_true.shape[1:]) != tuple(output_shape):
            raise ShapeError(
                f"{type(self).__name__} needs targets of shape (N, {', '.join(map(str, output_shape))}) "
                f"to match the network's output, got targets of shape {y_true.shape}"
            )


class BaseOptimizer(_Configurable):
    """Base class for optimizers: gradient clipping, parameter groups, per-parameter state and ``state_dict``.

    Subclasses implement ``update``, which changes one parameter in place from its gradient and
    its own state dictionary (created empty on the first step), reading its hyperparameters from ``self``
    (while a parameter group's parameters are updated, the group's values are set on ``self``).
    ``self.iterations`` counts steps taken.

    ``step`` takes ``{name: array}`` mappings (the network's parameter paths, ``layers.3.weight``), and
    the state is keyed by those names: whatever is frozen, added or reordered, a parameter keeps its own
    moments. Lists (the first release's call) are accepted too; their state is keyed by position
    (``"0"``, ``"1"``, ...). See docs/architecture.md ("Optimizer state").

    Parameters
    ----------
    learning_rate : float
        Step size; schedulers change it between steps.
    clip_norm : float, optional
        Rescale all gradients together so that their global L2 norm (over every parameter given to
        ``step``, all groups) is at most this (as ``torch.nn.utils.clip_grad_norm_``).
    clip_value : float, optional
        Clip every gradient element into ``[-clip_value, clip_value]``.
    param_groups : list of dict, optional
        ``[{"params": "layers.*.bias", "weight_decay": 0.0}, {"params": ["layers.0", "layers.1"],
        "learning_rate": 1e-4}]``: hyperparameters for the parameters whose paths match the patterns
        (``fnmatch``; a layer's path selects its parameters), as ``torch.optim``'s parameter groups. Other
        parameters use the optimizer's own values; schedulers scale every group's learning rate.
    """

    #: The network hands ``step`` ``{name: array}`` mappings. A subclass that overrides ``step`` gets
    #: lists (the first release's call) unless it sets this itself.
    keys_by_name: ClassVar[bool] = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "step" in vars(cls) and "keys_by_name" not in vars(cls):
            cls.keys_by_name = False

    def __init__(self, learning_rate: float, *, clip_norm: float | None = None, clip_value: float | None = None,
                 param_groups: list[dict[str, Any]] | None = None):
        from nnfs_core._param_groups import normalize_groups
        from nnfs_core.validation import check_positive

        check_positive(type(self).__name__, "learning_rate", learning_rate, allow_zero=True)
        if clip_norm is not None:
            check_positive(type(self).__name__, "clip_norm", clip_norm)
        if clip_value is not None:
            check_positive(type(self).__name__, "clip_value", clip_value)
        self.learning_rate = float(learning_rate)
        self.clip_norm = clip_norm
        self.clip_value = clip_value
        self.param_groups = normalize_groups(type(self).__name__, param_groups)
        self.iterations = 0
        self.state: dict[str, dict[str, Array]] = {}
        self._groups_checked = False
        self._assignment: tuple[tuple[str, ...], list[int]] | None = None

    def step(self, params: Mapping[str, Array] | Sequence[Array], grads: Mapping[str, Array] | Sequence[Array]) -> None:
        """Update every parameter in place from its gradient (gradients may be clipped in place).

        ``params`` and ``grads`` are ``{name: array}`` mappings with the same keys (or, as in the first
        release, two lists of the same length, keyed by position).
        """
        from nnfs_core._param_groups import by_name

        params, grads = by_name(type(self).__name__, params, grads)
        if self.clip_value is not None:
            for grad in grads.values():
                np.clip(grad, -self.clip_value, self.clip_value, out=grad)
        if self.clip_norm is not None:
            total = float(np.sqrt(sum(float(np.vdot(grad, grad)) for grad in grads.values())))
            scale = self.clip_norm / (total + 1e-6)
            if scale < 1.0:
                for grad in grads.values():
                    grad *= grad.dtype.type(scale)
        self.iterations += 1
        groups = self._group_of(tuple(params))
        for index in sorted(set(groups)):
            with self._hyperparameters(index):
                for (name, param), group in zip(params.items(), groups):
                    if group == index:
                        self.update(param, grads[name], self.state.setdefault(name, {}))

    def update(self, param: Array, grad: Array, state: dict[str, Array]) -> None:
        """Write this: change ``param`` in place from ``grad``, keeping what the rule carries in ``state``.

        Called once per parameter per step, after clipping and after ``self.iterations`` has moved (it is
        1 during the first step). ``state`` is this parameter's own dictionary, empty on its first step:
        store moments there (``state["exp_avg"] = np.zeros_like(param)``), under torch.optim's names where
        they exist, and they are saved with checkpoints (``state_dict`` says how they are keyed). Read the
        step size from ``self.learning_rate`` (a scheduler changes it between steps); keep ``param``'s
        dtype. A frozen parameter is not passed at all, so a rule that counts a parameter's own steps
        (Adam's bias correction) keeps that count in ``state`` (a 0-d array ``step``).

        Parameters
        ----------
        param : ndarray
            The parameter, changed in place (``param -= ...``): the layer holds this very array.
        grad : ndarray
            Its gradient, same shape and dtype; read it, never keep it (the next backward overwrites it).
        state : dict of str to ndarray
            This parameter's own state, as above; every value is saved as an array.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement update")

    def _group_of(self, names: tuple[str, ...]) -> list[int]:
        """The group index of each name (-1: the optimizer's own hyperparameters), cached per list of names."""
        if not self.param_groups:
            return [-1] * len(names)
        if self._assignment is None or self._assignment[0] != names:
            from nnfs_core._param_groups import assign

            self.check_param_groups()
            self._assignment = (names, assign(type(self).__name__, names, self.param_groups))
        return self._assignment[1]

    def check_param_groups(self) -> None:
        """Check every group's hyperparameters by building this optimizer with them (its own checks run)."""
        if not self._groups_checked:
            from nnfs_core._param_groups import check_hyperparameters

            check_hyperparameters(self)
            self._groups_checked = True

    def _hyperparameters(self, index: int) -> contextlib.AbstractContextManager[None]:
        """Group ``index``'s hyperparameters set on ``self`` for the time of its updates (-1: none)."""
        from nnfs_core._param_groups import overriding

        if index < 0:
            return contextlib.nullcontext()
        return overriding(self, {key: value for key, value in self.param_groups[index].items() if key != "params"})

    def state_dict(self) -> dict[str, Any]:
        """``learning_rate``, ``iterations``, ``state`` (``{name: {key: array}}``, copies) and the groups'
        current learning rates (``group_learning_rates``, None where a group follows ``learning_rate``)."""
        return {
            "learning_rate": self.learning_rate,
            "iterations": self.iterations,
            "group_learning_rates": [group.get("learning_rate") for group in self.param_groups],
            "state": {name: {key: np.array(value, copy=True) for key, value in entries.items()}
                      for name, entries in self.state.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore ``state_dict``'s output; the first release's flat ``"<index>.<name>"`` keys are read
        as position-keyed state (``"0"``, ``"1"``, ...).

        Everything is checked before anything changes: unknown keys, a learning rate or step count that is
        not a finite number >= 0, a wrong number of groups, arrays that are not finite real numbers raise
        ``ValueError`` naming the key (``nnfs_core.persistence`` also checks each array's shape against its
        parameter's).
        """
        from nnfs_core._optimizer_state import check_optimizer_state

        try:
            entries = check_optimizer_state(state, len(self.param_groups))
        except ValueError as error:
            raise ValueError(f"{type(self).__name__}.load_state_dict: {error}") from None
        self.learning_rate = float(state["learning_rate"])
        self.iterations = int(state["iterations"])
        for group, rate in zip(self.param_groups, state.get("group_learning_rates", [])):
            if rate is not None:
                group["learning_rate"] = float(rate)
        self.state = {name: {key: np.array(value, copy=True) for key, value in items.items()}
                      for name, items in entries.items()}


class BaseCallback:
    """Base class for callbacks. Define any of the hooks in ``nnfs_core.hookspecs`` as methods.

    Methods named like a hook specification are picked up without decorators; each may accept any
    subset of that hook's arguments (``def on_epoch_end(self, epoch, logs)``).

    A callback that prints or writes files sets ``rank_zero_only = True``: when a strategy trains on several
    processes (docs/distributed.md) it then runs on rank 0 alone. The others run on every process, and
    see the same logs there (the global batch's), so their decisions (early stopping) agree.
    """

    rank_zero_only = False


class BaseScheduler(_Configurable, BaseCallback):
    """Base class for learning-rate schedulers.

    A scheduler is a callback: it attaches to the network's optimizer when fitting starts and calls
    ``step`` after every epoch (``interval = "epoch"``) or every batch (``interval = "batch"``).
    Subclasses implement ``get_lr``, the learning rate after ``self.last_step`` steps.

    As torch's schedulers, it scales every parameter group: a group with its own ``learning_rate`` gets
    ``get_lr`` computed from that rate as its base (``group_base_lrs``), the other groups follow the
    optimizer's ``learning_rate``.
    """

    interval = "epoch"

    def __init__(self) -> None:
        self.optimizer: Any = None
        self.base_lr: float | None = None
        self.group_base_lrs: list[float | None] | None = None
        self.last_step = 0

    def attach(self, optimizer: Any) -> None:
        if self.optimizer is optimizer:
            return
        self.optimizer = optimizer
        if self.base_lr is None:
            self.base_lr = float(optimizer.learning_rate)
        if self.group_base_lrs is None:
            self.group_base_lrs = [None if group.get("learning_rate") is None else float(group["learning_rate"])
                                   for group in getattr(optimizer, "param_groups", None) or ()]
        self.apply_lr()

    def get_lr(self) -> float:
        """Write this: the learning rate after ``self.last_step`` steps, from ``self.base_lr``.

        ``last_step`` counts epochs (``interval = "epoch"``) or batches (``interval = "batch"``) since
        fitting started; ``base_lr`` is the optimizer's learning rate when the scheduler was attached (or,
        while a parameter group's rate is computed, that group's own base rate; see ``lr_from``).
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement get_lr")

    def lr_from(self, base_lr: float) -> float:
        """``get_lr`` for a parameter group whose own base learning rate is ``base_lr``."""
        default = self.base_lr
        self.base_lr = base_lr
        try:
            return float(self.get_lr())
        finally:
            self.base_lr = default

    def apply_lr(self) -> None:
        """Set the optimizer's learning rate, and that of every group with its own base rate, for ``last_step``."""
        self.optimizer.learning_rate = self.get_lr()
        groups = getattr(self.optimizer, "param_groups", None) or ()
        for group, base in zip(groups, self.group_base_lrs or ()):
            if base is not None:
                group["learning_rate"] = self.lr_from(base)

    def step(self, logs: dict[str, float] | None = None) -> None:
        if self.optimizer is None:
            raise RuntimeError(f"{type(self).__name__} is not attached to an optimizer; call attach(optimizer) first, "
                               f"or pass it to Network(scheduler=...) or fit(callbacks=[...])")
        self.last_step += 1
        self.apply_lr()

    def state_dict(self) -> dict[str, Any]:
        return {"last_step": self.last_step, "base_lr": self.base_lr, "group_base_lrs": self.group_base_lrs}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.last_step = int(state["last_step"])
        self.base_lr = None if state["base_lr"] is None else float(state["base_lr"])
        bases = state.get("group_base_lrs")  # absent from checkpoints written before parameter groups
        self.group_base_lrs = None if bases is None else [None if base is None else float(base) for base in bases]
        if self.optimizer is not None:
            self.apply_lr()

    # Lifecycle hooks (see nnfs_core.hookspecs).
    def on_fit_start(self, network: Any) -> None:
        self.attach(network.optimizer)

    def on_batch_end(self, network: Any, logs: dict[str, float]) -> None:
        # With fit(accumulate=k) a batch-interval scheduler steps with the optimizer, once per k batches.
        if self.interval == "batch" and getattr(getattr(network, "fit_progress", None), "stepped", True):
            self.step(logs)

    def on_epoch_end(self, logs: dict[str, float]) -> None:
        if self.interval == "epoch":
            self.step(logs)
