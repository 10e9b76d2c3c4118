"""Masked: a list of layers that hands the input's padding mask to the layers that use it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.layers.sequential import Sequential
from nnfs_core.protocols import Array, run_forward
from nnfs_core.validation import check_int, check_number

__all__ = ["Masked"]


class Masked(Sequential):
    """Its layers in order, like `sequential`, each layer that declares ``accepts_padding_mask`` getting
    ``padding_mask`` (N, L), True at the input's padded steps, as long as the sequence keeps its L steps.

    Where the padding comes from, in this order:

    - ``padding_idx``: integer ids (N, L) equal to it are padding;
    - ``mask_value``: float sequences (N, L, F) whose steps equal it in every feature are padding (Keras's
      ``Masking``);
    - neither: the first layer's own ``padding_idx`` (an `embedding` with one).

    The layers that use the mask: `multi_head_attention` (padded keys are left out), the Transformer layers,
    `last_step` (each sequence's last real step) and `masked_mean_pooling`. Pair it with
    ``CrossEntropy(ignore_index=...)`` so that padded steps do not count in the loss. Parameter paths
    ``<index>.<name>``, as in `sequential`. The layer takes what its first layer takes (integer ids after an
    embedding).

    Parameters
    ----------
    layers : sequence of layers, names or config dicts
        The layers, the first usually an `embedding`.
    padding_idx : int, optional
        The id of padding in integer input.
    mask_value : float, optional
        The value of every feature of a padded step in float input.
    """

    example_args: ClassVar[dict[str, Any]] = {
        "layers": [{"name": "embedding", "num_embeddings": 7, "embedding_dim": 4, "padding_idx": 0},
                   {"name": "multi_head_attention", "num_heads": 2}, "masked_mean_pooling"]}
    example_input_shape: ClassVar[tuple[int, ...]] = (5,)

    def __init__(self, layers: Sequence[Any], *, padding_idx: int | None = None,
                 mask_value: float | None = None) -> None:
        super().__init__(layers)
        if padding_idx is not None and mask_value is not None:
            raise ValueError("Masked: give padding_idx (integer ids) or mask_value (float steps), not both")
        self.padding_idx = None if padding_idx is None else check_int("Masked", "padding_idx", padding_idx,
                                                                      minimum=None)
        self.mask_value = None if mask_value is None else check_number("Masked", "mask_value", mask_value,
                                                                       allow_inf=True)

    @property
    def input_dtype(self) -> Any:  # type: ignore[override]
        """What the first layer takes: integer ids after an embedding."""
        return getattr(self._layers[0], "input_dtype", None)

    def example_input(self, shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> Array:
        first = self._layers[0]
        method = getattr(first, "example_input", None)
        return method(shape, rng=rng, dtype=dtype) if callable(method) else rng.standard_normal(shape).astype(dtype)

    def padding_mask(self, x: Array) -> Array | None:
        """(N, L) True at the padded steps of a batch, or None when this layer has no source of padding."""
        padding_idx = self.padding_idx
        if padding_idx is None and self.mask_value is None:
            padding_idx = getattr(self._layers[0], "padding_idx", None)
            if padding_idx is not None:  # the embedding's may count from the end
                padding_idx %= self._layers[0].num_embeddings
        if padding_idx is not None:
            if x.dtype.kind not in "iu" or x.ndim != 2:
                raise ShapeError(f"Masked(padding_idx={padding_idx}) expects integer ids (N, L), got an array of "
                                 f"dtype {x.dtype} and shape {x.shape}")
            return x == padding_idx
        if self.mask_value is not None:
            if x.ndim != 3:
                raise ShapeError(f"Masked(mask_value={self.mask_value}) expects sequences (N, L, F), got an array of "
                                 f"shape {x.shape}")
            return (x == x.dtype.type(self.mask_value)).all(axis=2)
        return None

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        mask = self.padding_mask(x)
        steps = None if mask is None else mask.shape[1]
        caches = []
        for layer in self._layers:
            if mask is not None and getattr(layer, "accepts_padding_mask", False) and x.ndim == 3 \
                    and x.shape[1] == steps:
                x, cache = layer.forward_pass(x, training=training, padding_mask=mask)
            else:
                x, cache = run_forward(layer, x, training=training)
            caches.append(cache)
        return x, caches
