"""What the Transformer layers share: their children (named as torch's), the feed-forward block, and one
sublayer with its residual connection and normalisation, before (pre-norm) or after (post-norm).

A sublayer is ``f`` (attention or the feed-forward block) with its dropout:

    post-norm:  y = norm(x + dropout(f(x)))        torch's default, norm_first=False
    pre-norm:   y = x + dropout(f(norm(x)))        norm_first=True

Each pass returns its caches; backward goes through the same children in reverse with
``backward_through``, so gradients are summed per child and gathered once per layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nnfs_core import registry
from nnfs_core.errors import ShapeError
from nnfs_core.layers.composite import CompositeLayer, backward_through, forward_through
from nnfs_core.layers.dense import Dense
from nnfs_core.layers.dropout import Dropout
from nnfs_core.layers.layer_norm import LayerNorm
from nnfs_core.protocols import Array, run_forward
from nnfs_core.validation import check_choice, check_flag, check_int, check_number
from nnfs_sequence.multi_head_attention import MultiHeadAttention

ACTIVATIONS = ("relu", "gelu")


class TransformerBase(CompositeLayer):
    """Hyperparameters, children and the sublayer passes of `TransformerEncoderLayer` and the decoder."""

    accepts_padding_mask = True
    #: The LayerNorms the layer has (norm1, norm2 for the encoder; norm3 too for the decoder).
    norms: tuple[str, ...] = ("norm1", "norm2")

    def __init__(self, num_heads: int, *, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, norm_first: bool = False,
                 use_bias: bool = True, causal: bool = False) -> None:
        super().__init__()
        owner = type(self).__name__
        self.num_heads = check_int(owner, "num_heads", num_heads)
        self.dim_feedforward = check_int(owner, "dim_feedforward", dim_feedforward)
        self.dropout = check_number(owner, "dropout", dropout, low=0.0, high=1.0, high_open=True)
        self.activation = check_choice(owner, "activation", activation, ACTIVATIONS)
        self.layer_norm_eps = check_number(owner, "layer_norm_eps", layer_norm_eps, low=0.0, low_open=True)
        self.norm_first = check_flag(owner, "norm_first", norm_first)
        self.use_bias = check_flag(owner, "use_bias", use_bias)
        self.causal = check_flag(owner, "causal", causal)
        self.self_attn = MultiHeadAttention(num_heads, dropout=dropout, use_bias=use_bias, causal=causal)
        self.linear1 = Dense(dim_feedforward, use_bias=use_bias)
        self.linear2: Dense | None = None  # its width is the input's: made at build
        self.dropout_layers = {name: Dropout(dropout) for name in self._dropout_names()}
        self.norm_layers = {name: LayerNorm(eps=layer_norm_eps, use_bias=use_bias) for name in self.norms}
        self.activation_layer = registry.layers.create(
            {"name": activation, "approximate": "none"} if activation == "gelu" else activation)

    def _dropout_names(self) -> tuple[str, ...]:
        return ("dropout", *(f"dropout{k}" for k in range(1, len(self.norms) + 1)))

    @property
    def training_differs(self) -> bool:  # type: ignore[override]
        return self.dropout > 0

    def _attention_children(self) -> list[tuple[str, Any]]:
        return [("self_attn", self.self_attn)]

    def children(self) -> list[tuple[str, Any]]:
        named = [*self._attention_children(), ("linear1", self.linear1), ("dropout", self.dropout_layers["dropout"])]
        if self.linear2 is not None:
            named.append(("linear2", self.linear2))
        named += [(name, self.norm_layers[name]) for name in self.norms]
        named += [(name, self.dropout_layers[name]) for name in self._dropout_names()[1:]]
        return [*named, ("activation", self.activation_layer)]

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """What the block adds to its children's cost (the load budget counts those, the attentions' own
        projections included): nothing held; per sample, each sublayer's residual sum (L, E)."""
        if len(input_shape) != 2:
            return 0, 0
        steps, width = input_shape
        return 0, len(self.norms) * steps * width

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        owner = type(self).__name__
        if len(input_shape) != 2:
            raise ShapeError(f"{owner} expects sequences (N, L, E) (batch first), so a per-sample shape (L, E); "
                             f"got {tuple(input_shape)}")
        super().build(input_shape, rng=rng, dtype=dtype)
        shape = self.input_shape
        width = int(input_shape[1])
        self.linear2 = Dense(width, use_bias=self.use_bias)
        for name, child in self.children():
            if name == "linear1":
                self.build_child(child, shape, rng=rng, dtype=self.dtype)  # type: ignore[arg-type]
            elif name in ("activation", "dropout"):
                self.build_child(child, (shape[0], self.dim_feedforward), rng=rng, dtype=self.dtype)  # type: ignore[index]
            else:
                self._build_other(name, child, shape, rng)  # type: ignore[arg-type]
        self.collect_arrays()
        return self.output_shape  # type: ignore[return-value]

    def _build_other(self, name: str, child: Any, shape: tuple[int, ...], rng: np.random.Generator) -> None:
        if name == "linear2":
            shape = (shape[0], self.dim_feedforward)
        self.build_child(child, shape, rng=rng, dtype=self.dtype)

    # -- one sublayer with its residual and norm -----------------------------------------------------------
    def sublayer(self, index: int, x: Array, body: Callable[[Array], tuple[Array, Any]], *,
                 training: bool) -> tuple[Array, Any]:
        """norm_k(x + dropout_k(body(x))) (post-norm) or x + dropout_k(body(norm_k(x))) (pre-norm)."""
        norm, dropout = self.norm_layers[f"norm{index}"], self.dropout_layers[f"dropout{index}"]
        if self.norm_first:
            normed, norm_cache = run_forward(norm, x, training=training)
            out, body_cache = body(normed)
            out, dropout_cache = run_forward(dropout, out, training=training)
            return x + out, (norm_cache, body_cache, dropout_cache)
        out, body_cache = body(x)
        out, dropout_cache = run_forward(dropout, out, training=training)
        y, norm_cache = run_forward(norm, x + out, training=training)
        return y, (norm_cache, body_cache, dropout_cache)

    def sublayer_backward(self, index: int, grad: Array, cache: Any, body_backward: Callable[[Array, Any], Array],
                          sums: dict[int, dict[str, Array]]) -> Array:
        """d loss / d x of `sublayer`; ``body_backward(grad, body_cache)`` goes back through the body."""
        norm, dropout = self.norm_layers[f"norm{index}"], self.dropout_layers[f"dropout{index}"]
        norm_cache, body_cache, dropout_cache = cache
        if self.norm_first:
            grad_body = backward_through([dropout], grad, [dropout_cache], sums)
            grad_normed = body_backward(grad_body, body_cache)
            return grad + backward_through([norm], grad_normed, [norm_cache], sums)
        grad_sum = backward_through([norm], grad, [norm_cache], sums)
        grad_body = backward_through([dropout], grad_sum, [dropout_cache], sums)
        return grad_sum + body_backward(grad_body, body_cache)

    def feed_forward(self, x: Array, *, training: bool) -> tuple[Array, Any]:
        """linear2(dropout(activation(linear1(x))))."""
        return forward_through(self._feed_forward_layers(), x, training=training)

    def feed_forward_backward(self, sums: dict[int, dict[str, Array]]) -> Callable[[Array, Any], Array]:
        return lambda grad, caches: backward_through(self._feed_forward_layers(), grad, caches, sums)

    def _feed_forward_layers(self) -> list[Any]:
        return [self.linear1, self.activation_layer, self.dropout_layers["dropout"], self.linear2]

    def check_sequence(self, name: str, x: Array) -> None:
        width = (self.input_shape or (0, 0))[1]
        if x.ndim != 3 or x.shape[2] != width:
            raise ShapeError(f"{type(self).__name__} expects {name} of shape (N, L, {width}) (batch first), got an "
                             f"array of shape {x.shape}")
