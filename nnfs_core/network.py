"""Network: a stack of layers with a loss and an optimizer, trained by ``fit`` (see ARCHITECTURE.md)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from functools import partial
from typing import Any

import numpy as np

from nnfs_core import _loop, _parameters, registry, strategies
from nnfs_core import ops as backends
from nnfs_core._accumulate import check_accumulate
from nnfs_core._data import DataError, as_inputs, as_targets, check_batch_size
from nnfs_core._summary import summary_table
from nnfs_core.errors import ConfigError, ShapeError
from nnfs_core.protocols import Array

__all__ = ["Network"]


def _checked_learning_rate(value: Any) -> float:
    """``fit(learning_rate=)`` as a float, refused unless it is a finite number >= 0."""
    from nnfs_core._checks import check_positive

    try:
        check_positive("fit", "learning_rate", value, allow_zero=True)
    except (TypeError, ValueError) as error:
        raise ConfigError(str(error)) from None
    return float(value)


def _callback_items(callbacks: Any) -> list[Any]:
    """``fit(callbacks=...)`` as a list; one callback, a name or a number given alone is refused."""
    if isinstance(callbacks, (str, bytes, Mapping)) or not isinstance(callbacks, Iterable):
        raise ConfigError(f"fit: callbacks must be a list of callbacks, got {type(callbacks).__name__} "
                          f"{str(callbacks)[:60]!r}; pass callbacks=[...]")
    return list(callbacks)


def _checked_callback(index: int, callback: Any) -> Any:
    """A resolved callback, refused unless it is a ``BaseCallback`` or has one of the hook methods."""
    from nnfs_core.hookspecs import HOOK_NAMES
    from nnfs_core.protocols import BaseCallback

    if isinstance(callback, BaseCallback) or any(callable(getattr(callback, name, None)) for name in HOOK_NAMES):
        return callback
    raise ConfigError(f"fit: callbacks[{index}] is {str(callback)[:60]!r} ({type(callback).__name__}), which is not a "
                      f"callback; give a registered name ('early_stopping'), a config dict, a callback class or an "
                      f"object with any of the methods {', '.join(sorted(HOOK_NAMES))}")


class Network:
    """A sequential network: layers applied in order, trained with a loss and an optimizer.

    Parameters
    ----------
    layers : sequence of layers, names or config dicts, optional
        ``[Dense(100), "tanh", {"name": "dense", "output_size": 10}]``; more can be ``add``-ed.
    optimizer, loss : instance, name or config dict
        ``optimizer="adam"`` needs the nnfs-optim pack; ``loss="cross_entropy"``.
    input_shape : tuple of int, optional
        Per-sample input shape; inferred from the data at the first ``fit``/``predict`` otherwise.
    metrics : list, optional
        Metric names, dicts or callables reported next to the loss; the default is the loss's own
        (accuracy for CrossEntropy).
    scheduler : instance, name or config dict, optional
        A learning-rate scheduler (nnfs-optim); it is added to every ``fit``'s callbacks.
    dtype : str
        Floating dtype of every parameter and activation; ``float32`` by default. Inputs are cast to it
        once, at the network's boundary (no copy when they already are). A first layer that takes
        integer ids (an embedding) declares ``input_dtype = "int64"``: its input is then passed through
        as integers, never through float, and float input is refused (see ``input_dtype``).
    seed : int, optional
        Seed of the network's Generator, the only source of randomness (initialisation, shuffling,
        dropout): the same seed and data give bit-identical weights.
    ops : str, dict or nnfs_core.ops.Ops, optional
        The compute backend every layer computes with: ``"cpu"`` (the default, threaded) or ``"numpy"``
        (the plain reference), or one a pack registers; ``NNFS_OPS`` changes the default. Results agree
        to rounding across backends; the same backend, seed and thread count give bit-identical runs.

    Attributes
    ----------
    metadata : dict
        JSON values that travel with the model: saved by ``save`` and checkpoints, restored by ``load``,
        never part of the architecture (``get_config``). A character-level language model keeps its
        vocabulary here (``nnfs_core.text``); ``nnfs train`` fills it from the dataset's ``metadata``.
    """

    def __init__(
        self,
        layers: Sequence[Any] | None = None,
        optimizer: Any = None,
        loss: Any = None,
        *,
        input_shape: Sequence[int] | None = None,
        metrics: Sequence[Any] | None = None,
        scheduler: Any = None,
        dtype: Any = "float32",
        seed: int | None = None,
        ops: Any = None,
    ) -> None:
        self.ops = backends.get(ops)
        self._ops_spec = ops
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise ConfigError(f"Network: dtype must be a floating type such as 'float32', got {dtype!r}")
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.input_shape = None if input_shape is None else tuple(int(size) for size in input_shape)
        self.layers: list[Any] = []
        self.built = False
        for layer in layers or ():
            self.add(layer)
        self.optimizer = None if optimizer is None else registry.optimizers.resolve(optimizer)
        self.loss = None if loss is None else registry.losses.resolve(loss)
        self.metrics = None if metrics is None else list(metrics)
        self.scheduler = None if scheduler is None else registry.schedulers.resolve(scheduler)
        self.history: Any = None
        self.metadata: dict[str, Any] = {}
        self.stop_training = False
        self.fit_progress: Any = None  # where a running fit stands (nnfs_core._loop.FitProgress), else None

    # -- structure -------------------------------------------------------------------------------------
    def add(self, layer: Any, input_shape: Sequence[int] | None = None) -> Network:
        """Append a layer (instance, name or config dict); ``input_shape`` as in the seed's first example.

        A config dict may say ``"trainable": False`` (a frozen layer, see ``freeze``).
        """
        trainable = True
        if isinstance(layer, dict) and "trainable" in layer:
            layer = dict(layer)
            trainable = layer.pop("trainable")
            if not isinstance(trainable, bool):
                raise ConfigError(f"layer config {layer!r:.80}: trainable must be true or false, got {trainable!r}")
        layer = registry.layers.resolve(layer)
        for index, other in enumerate(self.layers):
            if other is layer:
                raise ConfigError(
                    f"Network.add: this {type(layer).__name__} instance is already layer {index}; to use one layer in "
                    f"two places (shared weights, gradients summed) put both uses in a sequential: "
                    f"Sequential([layer, ..., layer]) (nnfs_core.layers.sequential)")
        if not trainable:
            layer.trainable = False
        if input_shape is not None:
            if self.layers:
                raise ConfigError("Network.add: input_shape can only be given with the first layer")
            self.input_shape = tuple(int(size) for size in input_shape)
        self.layers.append(layer)
        if self.built:
            self._build_layer(len(self.layers) - 1, self.output_shape)
        return self

    def build(self, input_shape: Sequence[int] | None = None, *, guard: Any = None) -> Network:
        """Create every layer's parameters for samples of ``input_shape`` (per sample, no batch axis).

        ``guard(index, layer, shape, build)``, when given, is called for each layer in order instead of its
        build; it must call ``build()`` (no arguments) and return what it returns, the layer's output shape.
        Loading a file checks its load budget around each layer this way (nnfs_core.persistence).
        """
        shape = input_shape or self.input_shape or getattr(self.layers[0] if self.layers else None, "input_shape", None)
        if shape is None:
            raise ShapeError("Network.build: the input shape is unknown; pass input_shape= or fit on data first")
        if not self.layers:
            raise ConfigError("Network has no layers; pass layers=[...] or call add(...)")
        self.input_shape = tuple(int(size) for size in shape)
        output: tuple[int, ...] = self.input_shape
        for index, layer in enumerate(self.layers):
            if guard is None:
                output = self._build_layer(index, output)
            else:
                output = tuple(guard(index, layer, output, partial(self._build_layer, index, output)))
        self.layers[0].skip_input_grad = True
        self.built = True
        return self

    def _build_layer(self, index: int, shape: tuple[int, ...]) -> tuple[int, ...]:
        layer = self.layers[index]
        try:
            layer.ops = self.ops  # before build: a layer may size its work for its backend
        except AttributeError:  # a layer that does not take attributes computes with NumPy on its own
            pass
        try:
            output = tuple(layer.build(tuple(shape), rng=self.rng, dtype=self.dtype))
        except ShapeError as error:
            raise ShapeError(f"layer {index} ({type(layer).__name__}) cannot take samples of shape {shape}: "
                             f"{error}") from error
        if getattr(layer, "output_shape", output) != output:
            # What build returns is the contract; BaseLayer.build recorded the input shape (the identity),
            # which summary() and the saved header would otherwise report for a layer that changes shape.
            layer.output_shape = output
        self.output_shape = output
        return output

    def _ensure_built(self, x: Array, name: str = "X") -> None:
        if not self.built:
            self.build(self.input_shape or x.shape[1:])
        if tuple(x.shape[1:]) != self.input_shape:
            raise ShapeError(f"the network was built for samples of shape {self.input_shape} (first layer "
                             f"{type(self.layers[0]).__name__}), but {name} has samples of shape {tuple(x.shape[1:])}")

    @property
    def input_dtype(self) -> np.dtype[Any]:
        """What inputs are cast to: the first layer's declared ``input_dtype`` (integer ids for an
        embedding, passed through without a float cast), else the network's ``dtype``."""
        declared = getattr(self.layers[0], "input_dtype", None) if self.layers else None
        return self.dtype if declared is None else np.dtype(declared)

    # -- named parameters (see nnfs_core._parameters) --------------------------------------------------------
    def named_parameters(self) -> Iterator[tuple[str, Array]]:
        """``(path, array)`` for every parameter, frozen or not: ``("layers.0.weight", W)``, in layer order."""
        return _parameters.named_parameters(self)

    def parameters(self) -> Iterator[Array]:
        """Every parameter array (the arrays themselves), in the order of ``named_parameters``."""
        return (value for _, value in _parameters.named_parameters(self))

    def named_state(self) -> Iterator[tuple[str, Array]]:
        """``(path, array)`` for every non-trainable state array (``layers.1.running_mean``)."""
        return _parameters.named_state(self)

    def state_dict(self) -> dict[str, Array]:
        """Copies of every parameter and state array by path (torch's ``state_dict``)."""
        return _parameters.state_dict(self)

    def load_state_dict(self, state: Any, strict: bool = True) -> _parameters.IncompatibleKeys:
        """Copy a ``state_dict`` into this network, as torch's: with ``strict`` the names must be the same
        (``ModelFormatError`` lists missing and unexpected keys); shapes always (``ShapeError``). Nothing
        changes when an error is raised. Returns ``(missing_keys, unexpected_keys)``."""
        return _parameters.load_state_dict(self, state, strict)

    def torch_state_dict(self) -> dict[str, Array]:
        """Copies of every array under the names and layouts of the equivalent torch model's ``state_dict``.

        The torch model is ``nn.Sequential`` of the same layers, module for module (``0.weight``; a
        ``Dense`` with an ``activation`` is two modules, Linear then the activation); see
        `nnfs_core.torch_weights` and docs/interop.md for the mapping. Torch is not needed.
        """
        from nnfs_core import torch_weights

        return torch_weights.torch_state_dict(self)

    def load_torch_state_dict(self, state: Any, strict: bool = True) -> _parameters.IncompatibleKeys:
        """Copy a torch model's ``state_dict`` (tensors or NumPy arrays) into this network by name.

        Every name and shape is checked before anything changes: with ``strict`` missing and unexpected
        keys raise ``ModelFormatError``, a wrong shape ``ShapeError``. Returns ``(missing_keys,
        unexpected_keys)``. Torch tensors are read without importing torch.
        """
        from nnfs_core import torch_weights

        return torch_weights.load_torch_state_dict(self, state, strict)

    def freeze(self, *patterns: str) -> list[str]:
        """Freeze the layers whose paths match (``"layers.0"``, ``"layers.[0-2]"``, ``"layers.*"``); returns them.

        A frozen layer's parameters get no update, no weight decay and no optimizer state; a frozen BatchNorm
        normalises with its running statistics and keeps them (Keras semantics, docs/training.md).
        With no pattern, every layer is frozen.
        """
        return _parameters.set_trainable(self, patterns or ("layers.*",), False)

    def unfreeze(self, *patterns: str) -> list[str]:
        """Make the matching layers (all with no pattern) trainable again; see ``freeze``."""
        return _parameters.set_trainable(self, patterns or ("layers.*",), True)

    def trainable_parameters(self) -> tuple[list[Array], list[Array]]:
        """Parameters of trainable layers and their gradients, in the order of ``named_parameters``."""
        params, grads = _parameters.named_trainable(self)
        return list(params.values()), list(grads.values())

    # -- the passes (their code is in nnfs_core._loop) -------------------------------------------------
    def train_on_batch(self, x: Any, y: Any) -> float:
        """One optimisation step on one batch; returns the batch's loss (before the step)."""
        x, y = self._check_training_data(x, y)
        with self._threads():
            params, grads = _parameters.optimizer_arguments(self)
            return _loop.train_step(self, x, y, params, grads)[0]

    def _threads(self) -> AbstractContextManager[None]:
        """The backend's set-up for running these layers (the CPU backend's threads and BLAS policy)."""
        return self.ops.running(self.layers)

    # -- fit ---------------------------------------------------------------------------------------------
    def _check_ready(self) -> None:
        if self.loss is None:
            raise ConfigError("Network has no loss; pass loss='cross_entropy' (or another) to Network(...)")
        if self.optimizer is None:
            raise ConfigError("Network has no optimizer; pass optimizer='sgd' (pip install nnfs-optim) or an instance")

    def _check_training_data(self, x: Any, y: Any, name: str = "X") -> tuple[Array, Array]:
        self._check_ready()
        x = as_inputs(x, self.input_dtype, name)
        self._ensure_built(x, name)
        y = as_targets(y, len(x), self.dtype, "y" if name == "X" else f"{name}'s y", self.output_shape)
        _parameters.check_param_groups(self)  # after building: a network built from the data has no names before
        self.loss.check_target(self.output_shape, y)  # type: ignore[union-attr]
        return x, y

    def _resolved_metrics(self) -> list[Any]:
        from nnfs_core.metrics import resolve

        specs = self.metrics if self.metrics is not None else getattr(self.loss, "default_metrics", ())
        return [resolve(spec) for spec in specs]

    def fit(
        self,
        x: Any,
        y: Any = None,
        *,
        epochs: int = 1,
        batch_size: int = 32,
        shuffle: bool = True,
        validation_data: tuple[Any, Any] | None = None,
        validation_split: float = 0.0,
        callbacks: Iterable[Any] = (),
        verbose: int = 1,
        learning_rate: float | None = None,
        initial_epoch: int = 0,
        resume_from: str | os.PathLike[str] | None = None,
        strategy: Any = None,
        accumulate: int = 1,
    ) -> Any:
        """Train for ``epochs`` epochs of shuffled mini-batches; returns the History callback.

        ``fit((X, y), ...)`` (the seed's form) works too, and ``learning_rate=`` sets the optimizer's.
        Every argument and array is checked before any weight changes.

        ``resume_from`` is a checkpoint written by ``ModelCheckpoint``
        (or a directory of them: the one furthest into training that is intact). Weights, layer state,
        optimizer and scheduler state, Generator states, History and the epoch/batch position are restored,
        and training continues where it stopped: with the same data and arguments, the final weights are
        bit-identical to a run that was never interrupted, even from a mid-epoch checkpoint.
        ``initial_epoch`` starts at a later epoch without restoring anything (after ``load``).

        Parameters
        ----------
        x : array-like or (x, y) tuple
            Inputs, batch first: (N, *input_shape). A 2-tuple is taken as ``(x, y)`` (the seed's form).
        y : array-like, optional
            Targets, (N, ...) as the loss expects (class labels (N,) for cross-entropy).
        epochs : int
            Number of passes over the data, >= 0.
        batch_size : int
            Samples per step; the last, partial batch of an epoch is kept.
        shuffle : bool
            Draw a new order of the samples every epoch from the network's Generator.
        validation_data : (x, y) tuple, optional
            Evaluated after every epoch; its loss and metrics go into the logs as ``val_<name>``.
        validation_split : float
            Fraction in [0, 1) of the samples, taken from the end before shuffling, held out for
            validation instead of ``validation_data``.
        callbacks : iterable of callbacks or names
            Callbacks for this call, besides the History callback and ``Network(scheduler=...)``.
        verbose : int
            0 silent, 1 a progress bar per epoch, 2 one line per epoch.
        learning_rate : float, optional
            Sets the optimizer's learning rate before training (the seed's ``fit(..., learning_rate=)``).
        initial_epoch : int
            Epoch to start counting from, for training continued after ``load``.
        resume_from : path, optional
            A checkpoint file or a directory of them, restored before training continues (see above).
        strategy : str, dict or Strategy, optional
            How the training is spread over processes: ``"single"`` (this process alone), or a pack's
            (``"mpi"``, nnfs-mpi: every process started by ``mpiexec`` trains on its shard of each batch of
            ``batch_size`` samples). None: ``NNFS_STRATEGY``, else the launcher that started this process,
            else ``"single"`` (see docs/distributed.md).
        accumulate : int
            Batches per optimizer step (gradient accumulation, docs/training.md): the step is taken on the
            mean gradient of ``accumulate`` batches (fewer at the end of an epoch), the step of one batch
            ``accumulate`` times larger for layers without batch statistics, at the memory of one batch.
            Clipping, the strategy's gradient average and batch-interval schedulers act once per step.

        Returns
        -------
        History
            The callback holding each epoch's logs in ``history.history`` (``{"loss": [...], ...}``).
        """
        if y is None and isinstance(x, tuple) and len(x) == 2:
            x, y = x
        if y is None:
            raise DataError("fit needs targets: fit(X, y, ...) or fit((X, y), ...)")
        batch_size = check_batch_size(batch_size)
        accumulate = check_accumulate(accumulate)
        strategy = strategies.get(strategy)
        strategy.local_batch_size(batch_size)  # a batch the processes cannot share is refused now
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise DataError(f"epochs must be an integer >= 0, got {epochs!r}")
        if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, (int, np.integer)) or initial_epoch < 0:
            raise DataError(f"initial_epoch must be an integer >= 0 (the epochs already done), got {initial_epoch!r}")
        if not 0.0 <= validation_split < 1.0:
            raise DataError(f"validation_split must be in [0, 1), got {validation_split!r}")
        if validation_data is not None and validation_split:
            raise DataError("give validation_data or validation_split, not both")
        x, y = self._check_training_data(x, y)
        if validation_split:
            cut = len(x) - int(len(x) * validation_split)
            if cut < 1 or cut == len(x):
                raise DataError(f"validation_split={validation_split} leaves no training or no validation samples "
                                f"out of {len(x)}")
            x, y, validation_data = x[:cut], y[:cut], (x[cut:], y[cut:])
        if validation_data is not None:
            validation_data = self._check_training_data(*validation_data, name="validation X")
        metrics = self._resolved_metrics()
        callback_list = self._callbacks(callbacks, verbose)
        if resume_from is not None and initial_epoch:
            raise ConfigError("give resume_from (the checkpoint knows its epoch) or initial_epoch, not both")
        rate = None if learning_rate is None else _checked_learning_rate(learning_rate)
        previous_rate = getattr(self.optimizer, "learning_rate", None)
        if rate is not None:
            self.optimizer.learning_rate = rate  # type: ignore[union-attr]
        resume = None
        if resume_from is not None:
            from nnfs_core.persistence import resume as resume_checkpoint

            try:  # a checkpoint that cannot be restored leaves the network as it was, its learning rate too
                resume = resume_checkpoint(self, resume_from, callback_list, ["loss", *(m.name for m in metrics)],
                                           samples=len(x), batch_size=batch_size, shuffle=shuffle,
                                           accumulate=accumulate)
            except BaseException:
                if rate is not None:
                    self.optimizer.learning_rate = previous_rate  # type: ignore[union-attr]
                raise
            initial_epoch = resume.epoch
        with self._threads(), strategy.running(self):
            return _loop.run_epochs(self, x, y, epochs, batch_size, shuffle, validation_data, metrics, callback_list,
                              initial_epoch, resume, strategy, accumulate)

    def _callbacks(self, callbacks: Iterable[Any], verbose: int) -> list[Any]:
        from nnfs_core.callbacks.history import History
        from nnfs_core.callbacks.progress_bar import ProgressBar
        from nnfs_core.callbacks.terminate_on_nan import TerminateOnNaN

        # Hooks run in this order; History and the progress bar come last so that they see the logs
        # as the other callbacks left them.
        user = [_checked_callback(index, registry.callbacks.resolve(callback))
                for index, callback in enumerate(_callback_items(callbacks))]
        chosen: list[Any] = []
        if not any(isinstance(callback, TerminateOnNaN) for callback in user):
            chosen.append(TerminateOnNaN())
        chosen += user
        if self.scheduler is not None and self.scheduler not in user:
            chosen.append(self.scheduler)
        if not any(isinstance(callback, History) for callback in user):
            chosen.append(History())
        if verbose and not any(isinstance(callback, ProgressBar) for callback in user):
            chosen.append(ProgressBar(verbose=verbose))
        return chosen

    # -- inference ---------------------------------------------------------------------------------------
    def predict(self, x: Any, *, batch_size: int = 256) -> Array:
        """Outputs for every sample, computed in batches in inference mode. Safe to call concurrently."""
        batch_size = check_batch_size(batch_size)
        x = as_inputs(x, self.input_dtype)
        self._ensure_built(x)
        with self._threads():
            first = _loop.forward(self.layers, x[:batch_size])
            outputs = np.empty((len(x), *first.shape[1:]), dtype=first.dtype)
            outputs[: len(first)] = first
            for start in range(batch_size, len(x), batch_size):
                outputs[start : start + batch_size] = _loop.forward(self.layers, x[start : start + batch_size])
        return outputs

    def evaluate(self, x: Any, y: Any = None, *, batch_size: int = 256, strategy: Any = None) -> dict[str, float]:
        """Mean loss and metrics over ``(x, y)`` in inference mode, as ``{"loss": ..., "accuracy": ...}``.

        With a ``strategy`` of several processes (see ``fit``) each scores its share and the sums are added up.
        """
        if y is None and isinstance(x, tuple) and len(x) == 2:
            x, y = x
        batch_size = check_batch_size(batch_size)
        strategy = strategies.get(strategy)
        x, y = self._check_training_data(x, y)
        with self._threads():
            return _loop.evaluate(self, x, y, batch_size, self._resolved_metrics(), strategy)

    # -- description -------------------------------------------------------------------------------------
    def summary(self) -> str:
        """A table of layers, output shapes and parameter counts, with totals (like Keras's)."""
        if not self.built:
            self.build()
        return summary_table(self)

    def count_params(self) -> int:
        return sum(int(value.size) for layer in self.layers for value in layer.params.values())

    def get_config(self) -> dict[str, Any]:
        """The architecture and training setup by registry names, JSON-safe."""
        from nnfs_core._config import to_jsonable

        return {
            "layers": [registry.config_of(layer) if getattr(layer, "trainable", True) else
                       {**registry.config_of(layer), "trainable": False} for layer in self.layers],
            "optimizer": None if self.optimizer is None else registry.config_of(self.optimizer),
            "loss": None if self.loss is None else registry.config_of(self.loss),
            "metrics": None if self.metrics is None else to_jsonable(self.metrics, "Network.metrics"),
            "scheduler": None if self.scheduler is None else registry.config_of(self.scheduler),
            "input_shape": None if self.input_shape is None else list(self.input_shape),
            "dtype": self.dtype.name,
            "seed": self.seed,
            **({} if self._ops_spec is None else {"ops": registry.config_of(self.ops)["name"]}),
        }

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Network:
        """Rebuild a (freshly initialised) network from ``get_config``'s output."""
        known = {"layers", "optimizer", "loss", "metrics", "scheduler", "input_shape", "dtype", "seed", "ops"}
        unknown = set(config) - known
        if unknown:
            raise ConfigError(f"Network config has unknown keys {sorted(unknown)}; known keys are {sorted(known)}")
        return cls(**config)

    # -- files -------------------------------------------------------------------------------------------
    def save(self, path: str | os.PathLike[str], *, include_optimizer: bool = True) -> None:
        """Save to one file (docs/file-format.md): architecture by registry names, weights, layer state,
        Generator states and, unless ``include_optimizer=False``, optimizer and scheduler state. No pickle.

        The file is replaced atomically: a crash during ``save`` leaves the previous file intact.
        """
        from nnfs_core import persistence

        persistence.save(self, path, include_optimizer=include_optimizer)

    @classmethod
    def load(cls, path: str | os.PathLike[str], *, limits: Any = None) -> Network:
        """Rebuild a network saved by ``save`` (or a checkpoint); it predicts bit-identically.

        Only the packs the file names are needed: a missing one raises
        ``MissingComponentError`` (a ``ComponentNotFoundError``) naming the pack
        and version; another installed version loads with a ``VersionMismatchWarning``. Nothing in the file
        is executed; a damaged or hostile file raises ``ModelFormatError``.
        ``limits`` (a ``LoadLimits``) bounds what the file may declare.
        """
        from nnfs_core import persistence

        network: Network = persistence.load(path, limits=limits or persistence.DEFAULT_LIMITS,
                                            from_config=cls.from_config)
        return network

    def save_weights(self, path: str | os.PathLike[str]) -> None:
        """Save the layers' parameters and state only (atomically)."""
        from nnfs_core import persistence

        persistence.save_weights(self, path)

    def load_weights(self, path: str | os.PathLike[str]) -> None:
        """Load weights and layer state saved by ``save_weights`` or ``save`` into this network.

        The layers must match the file's by number and registry name (else ``ModelFormatError``) and every
        array by shape and dtype (else ``ShapeError`` naming the layer, the array and both shapes).
        """
        from nnfs_core import persistence

        persistence.load_weights(self, path)

    def to_onnx(self, path: str | os.PathLike[str], *, opset: int = 17, dtype: Any = None) -> None:
        """Write the network as an ONNX model (inference: dropout is the identity, BatchNorm uses its running
        statistics) that onnxruntime runs to the outputs of ``predict``. Needs ``pip install 'nnfs-core[onnx]'``.

        The graph's input is ``input`` (N, *input_shape), its output ``output``; ``opset`` 17 or newer; it
        computes in the network's dtype, or in ``dtype`` ("float32" for a float64 network: onnxruntime has no
        float64 Conv). A layer with no exporter raises ``ExportError`` naming it (docs/interop.md, "ONNX export").
        """
        from nnfs_core.onnx import save_onnx

        save_onnx(self, path, opset=opset, dtype=dtype)

    def __repr__(self) -> str:
        return f"Network({len(self.layers)} layers, input_shape={self.input_shape}, dtype={self.dtype.name})"
