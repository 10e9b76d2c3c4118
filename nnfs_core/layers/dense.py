"""Dense: the fully connected layer y = x @ W.T + b, optionally followed by an activation."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np

from nnfs_core.errors import ConfigError
from nnfs_core.protocols import Array, BaseLayer, run_backward, run_forward
from nnfs_core.validation import check_int

__all__ = ["Dense"]


class Dense(BaseLayer):
    r"""Affine map y = x @ W.T + b over the last axis, then ``activation`` if one is given.

    $$
    y = x W^\top + b, \qquad \frac{\partial L}{\partial W} = g^\top x, \quad
    \frac{\partial L}{\partial b} = \textstyle\sum_n g_n, \quad \frac{\partial L}{\partial x} = g W
    $$

    Shapes: x (N, ..., input_size) -> y (N, ..., output_size); weight (output_size, input_size) - the
    seed's "rows are this layer's nodes", PyTorch's ``nn.Linear`` layout; bias (output_size,).
    ``input_size`` is inferred at build from the layer before.

    Parameters
    ----------
    output_size : int
        Number of output features.
    activation : str, dict or layer, optional
        An activation applied after the affine map, by name (``"relu"``), config dict or instance.
    use_bias : bool
        Whether to add the bias ``b``.
    weight_init, bias_init : str, dict or callable, optional
        Initializers by name or config; the default is PyTorch's: U(-1/sqrt(input_size), 1/sqrt(input_size))
        for both (``kaiming_uniform`` with ``a=sqrt(5)``, the bias using the weight's fan-in).
    """

    example_args: ClassVar[dict[str, Any]] = {"output_size": 4}

    def __init__(
        self,
        output_size: int,
        *,
        activation: Any = None,
        use_bias: bool = True,
        weight_init: Any = None,
        bias_init: Any = None,
    ) -> None:
        super().__init__()
        self.output_size = check_int("Dense", "output_size", output_size)
        self.activation = activation
        self.use_bias = bool(use_bias)
        self.weight_init = weight_init
        self.bias_init = bias_init
        self._activation: Any = None

    @property
    def torch_modules(self) -> int:
        """Torch modules this layer stands for: ``nn.Linear``, and the activation's module after it if set."""
        return 1 if self.activation is None else 2

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """Values build keeps (weight, bias and their gradients) and an activation's output per sample.

        The load budget's declaration (``docs/writing-a-pack.md``, "Build cost").
        """
        held = 2 * self.output_size * (input_shape[-1] + self.use_bias) if input_shape else 0
        rows = math.prod(input_shape[:-1])
        return held, rows * self.output_size if self.activation is not None else 0

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        from nnfs_core import initializers, registry

        super().build(input_shape, rng=rng, dtype=dtype)
        input_size = self.input_shape[-1]  # type: ignore[index]
        weight_shape = (self.output_size, input_size)
        default = initializers.DEFAULT_WEIGHT
        weight_init = initializers.resolve(default if self.weight_init is None else self.weight_init)
        self.params["weight"] = weight_init(weight_shape, rng=rng, dtype=self.dtype)
        if self.use_bias:
            bias_init = initializers.resolve(default if self.bias_init is None else self.bias_init)
            self.params["bias"] = bias_init((self.output_size,), rng=rng, dtype=self.dtype, fan_in=input_size)
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self.output_shape = (*self.input_shape[:-1], self.output_size)  # type: ignore[index]
        if self.activation is not None:
            self._activation = registry.activations.resolve(self.activation)
            self._activation.ops = self.ops
            self.output_shape = self._activation.build(self.output_shape, rng=rng, dtype=self.dtype)
            if self._activation.params:  # they would be neither trained nor saved as part of Dense
                raise ConfigError(f"Dense(activation={self.activation!r}): this activation has parameters "
                                  f"({', '.join(self._activation.params)}); add it as a layer of its own after Dense")
        return self.output_shape

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        y = self.ops.affine(x, self.params["weight"], self.params.get("bias"))
        if self._activation is None:
            return y, x
        y, activation_cache = run_forward(self._activation, y, training=training)
        return y, (x, activation_cache)

    def fold_affine(self, scale: Array, shift: Array) -> Callable[[Array], Array] | None:
        """This layer followed by y scale + shift per output, as one affine map for inference: weight
        scale[o] W[o], bias scale[o] b[o] + shift[o] (a BatchNorm after it, ``layers.composite.infer_through``).
        None with an activation, or on inputs with more than one axis per sample (the BatchNorm would then
        normalise another axis)."""
        if self._activation is not None or len(self.output_shape) != 1:  # type: ignore[arg-type]
            return None
        weight = self.params["weight"] * scale[:, None]
        bias = shift if "bias" not in self.params else self.params["bias"] * scale + shift
        return lambda x: self.ops.affine(x, weight, bias)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        x = cache
        if self._activation is not None:
            x, activation_cache = cache
            grad = run_backward(self._activation, grad, activation_cache)
        return self.ops.affine_backward(grad, x, self.params["weight"], self.grads["weight"], self.grads.get("bias"),
                                        input_grad=not self.skip_input_grad)
