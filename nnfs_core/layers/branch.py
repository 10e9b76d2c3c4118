"""Branch: the same input through several paths, their outputs merged (Inception blocks, skips, gates)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from nnfs_core.errors import ConfigError
from nnfs_core.layers import _merges
from nnfs_core.layers.composite import CompositeLayer, backward_through
from nnfs_core.protocols import Array, run_forward, run_inference
from nnfs_core.validation import check_choice, check_int

__all__ = ["Branch"]


class Branch(CompositeLayer):
    """y = merge(f_1(x), ..., f_k(x)): every path gets the same input; ``merge`` combines their outputs.

    Merges: ``"add"`` (y = sum of f_i(x)), ``"multiply"`` (y = product of f_i(x), elementwise), and
    ``"concatenate"`` along the per-sample ``axis`` (0: the channels of (C, H, W), the features of (F,)).
    Gradient: d x = sum over i of d f_i(x) / d x . g_i, where g_i is the merge's gradient for path i (g for
    add, g times the other outputs for multiply, path i's slice of g for concatenate). Parameter paths
    ``<index>.<...>``. ``"identity"`` is a path too (a skip connection).

    Parameters
    ----------
    branches : sequence of layers, names, config dicts, or lists of them (each a Sequential)
        The paths, at least one.
    merge : {"add", "multiply", "concatenate"}
        How the paths' outputs are combined: elementwise sum or product (equal shapes), or joined along ``axis``.
    axis : int
        The per-sample axis ``concatenate`` joins along.
    """

    example_args: ClassVar[dict[str, Any]] = {"branches": [[{"name": "dense", "output_size": 3}, "tanh"], "identity"],
                                              "merge": "concatenate"}
    example_input_shape: ClassVar[tuple[int, ...]] = (5,)
    _fixed_merge: ClassVar[str | None] = None  # set by Add, Multiply and Concatenate

    def __init__(self, branches: Sequence[Any], *, merge: str = "concatenate", axis: int = 0) -> None:
        super().__init__()
        from nnfs_core.layers.residual import _one_layer

        owner = type(self).__name__
        if isinstance(branches, (str, dict)) or not isinstance(branches, Sequence) or not branches:
            raise ConfigError(f"{owner}: branches must be a non-empty list of layers (or lists of layers), "
                              f"got {branches!r}")
        self.branches = list(branches)
        self.merge = check_choice(owner, "merge", merge, _merges.MERGES)
        self.axis = check_int(owner, "axis", axis, minimum=None)
        self._branches = [_one_layer(branch) for branch in self.branches]

    @property
    def training_differs(self) -> bool:  # type: ignore[override]
        return any(getattr(branch, "training_differs", False) for branch in self._branches)

    def children(self) -> list[tuple[str, Any]]:
        return [(str(index), branch) for index, branch in enumerate(self._branches)]

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        super().build(input_shape, rng=rng, dtype=dtype)
        shapes = [self.build_child(branch, self.input_shape, rng=rng, dtype=self.dtype)  # type: ignore[arg-type]
                  for branch in self._branches]
        try:
            self.output_shape = _merges.merged_shape(self.merge, shapes, self.axis)
        except Exception as error:
            raise type(error)(f"{type(self).__name__}: {error}") from error
        self.collect_arrays()
        return self.output_shape

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        results = [run_forward(branch, x, training=training) for branch in self._branches]
        outputs = [output for output, _ in results]
        # the cache keeps the outputs by reference: multiply's gradient needs them, concatenate their widths
        return _merges.merge(self.merge, outputs, self.axis), ([cache for _, cache in results], outputs)

    def inference_pass(self, x: Array) -> Array:
        return _merges.merge(self.merge, [run_inference(branch, x) for branch in self._branches], self.axis)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        caches, outputs = cache
        grads = _merges.unmerge(self.merge, grad, outputs, self.axis)
        sums: dict[int, dict[str, Array]] = {}
        grad_x = None
        for branch, branch_cache, branch_grad in zip(self._branches, caches, grads):
            part = backward_through([branch], branch_grad, [branch_cache], sums)
            grad_x = part if grad_x is None else grad_x + part
        self.gather_grads(sums)
        return grad_x  # type: ignore[return-value]
