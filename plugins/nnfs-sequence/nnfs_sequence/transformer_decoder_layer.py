"""TransformerDecoderLayer: causal self-attention, attention to a memory, and a feed-forward block, each with
a residual connection and a LayerNorm, as ``torch.nn.TransformerDecoderLayer(batch_first=True)``."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from nnfs_core import registry
from nnfs_core.errors import ShapeError
from nnfs_core.layers.sequential import Sequential
from nnfs_core.protocols import Array, run_backward, run_forward
from nnfs_sequence._transformer import TransformerBase
from nnfs_sequence.multi_head_attention import MultiHeadAttention

__all__ = ["TransformerDecoderLayer"]


class TransformerDecoderLayer(TransformerBase):
    r"""One Transformer decoder block: x (N, L, E) attends to itself, then to a memory (N, S, E).

    $$
    \begin{aligned}
    \text{post-norm:}\quad h_1 &= \mathrm{LN}_1(x + \mathrm{SA}(x)), & h_2 &= \mathrm{LN}_2(h_1 + \mathrm{CA}(h_1, m)),
      & y &= \mathrm{LN}_3(h_2 + \mathrm{FF}(h_2)) \\
    \text{pre-norm:}\quad h_1 &= x + \mathrm{SA}(\mathrm{LN}_1 x), & h_2 &= h_1 + \mathrm{CA}(\mathrm{LN}_2 h_1, m),
      & y &= h_2 + \mathrm{FF}(\mathrm{LN}_3 h_2)
    \end{aligned}
    $$

    SA is self-attention (causal with ``causal=True``), CA attention from the sequence to the memory m,
    FF the feed-forward block, each followed by dropout. Parameter paths are torch's: ``self_attn.*``,
    ``multihead_attn.*``, ``linear1``, ``linear2``, ``norm1``..``norm3``.

    Where the memory comes from: in a layer list, m = ``memory(x)``, a path applied to the layer's input as
    a `branch` applies its paths (its arrays under ``memory.<...>``), or x itself when ``memory`` is not
    given. From code, `decode(x, memory, ...)` takes any memory with torch's masks and `decode_backward`
    returns the gradients of both inputs (an encoder-decoder model chains the encoder's output in).
    A ``padding_mask`` from the `masked` combinator marks x's padded steps as keys of the self-attention
    (and of the memory when the memory is x).

    Shapes: x (N, L, E) -> (N, L, E).

    Parameters
    ----------
    num_heads, dim_feedforward, dropout, activation, layer_norm_eps, norm_first, use_bias
        As `transformer_encoder_layer`.
    causal : bool
        The self-attention's step t sees steps 0..t only (torch's ``tgt_is_causal``).
    memory : layer, name, config dict, or a list of them, optional
        The path that gives the memory from the layer's input in a layer list.
    """

    norms: tuple[str, ...] = ("norm1", "norm2", "norm3")
    example_args: ClassVar[dict[str, Any]] = {"num_heads": 2, "dim_feedforward": 6, "dropout": 0.0, "causal": True}
    example_input_shape: ClassVar[tuple[int, ...]] = (3, 4)

    def __init__(self, num_heads: int, *, dim_feedforward: int = 2048, dropout: float = 0.1,
                 activation: str = "relu", layer_norm_eps: float = 1e-5, norm_first: bool = False,
                 use_bias: bool = True, causal: bool = False, memory: Any = None) -> None:
        super().__init__(num_heads, dim_feedforward=dim_feedforward, dropout=dropout, activation=activation,
                         layer_norm_eps=layer_norm_eps, norm_first=norm_first, use_bias=use_bias, causal=causal)
        self.multihead_attn = MultiHeadAttention(num_heads, dropout=dropout, use_bias=use_bias)
        self.memory = memory
        self._memory = None if memory is None else (
            Sequential(memory) if isinstance(memory, list) else registry.layers.resolve(memory))

    def _attention_children(self) -> list[tuple[str, Any]]:
        named = [("self_attn", self.self_attn), ("multihead_attn", self.multihead_attn)]
        return named if self._memory is None else [*named, ("memory", self._memory)]

    def _build_other(self, name: str, child: Any, shape: tuple[int, ...], rng: np.random.Generator) -> None:
        if name != "memory":
            return super()._build_other(name, child, shape, rng)
        memory = self.build_child(child, shape, rng=rng, dtype=self.dtype)
        if len(memory) != 2 or memory[1] != shape[1]:
            raise ShapeError(f"TransformerDecoderLayer: memory gives samples of shape {memory}; the decoder needs "
                             f"sequences (S, {shape[1]}) of its own width")

    # -- in a layer list ----------------------------------------------------------------------------------
    def forward_pass(self, x: Array, *, training: bool = False, padding_mask: Array | None = None) -> tuple[Array, Any]:
        self.check_sequence("x", x)
        if self._memory is None:
            y, cache = self.decode(x, x, tgt_key_padding_mask=padding_mask, memory_key_padding_mask=padding_mask,
                                   training=training)
            return y, (cache, None)
        memory, memory_cache = run_forward(self._memory, x, training=training)
        y, cache = self.decode(x, memory, tgt_key_padding_mask=padding_mask, training=training)
        return y, (cache, memory_cache)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        decode_cache, memory_cache = cache
        grad_x, grad_memory = self.decode_backward(grad, decode_cache)
        if self._memory is None:
            return grad_x + grad_memory
        grad_x = grad_x + run_backward(self._memory, grad_memory, memory_cache)
        for path, value in self._memory_grads():
            self.grads[f"memory.{path}"][...] = value
        return grad_x

    def _memory_grads(self) -> list[tuple[str, Array]]:
        nested = getattr(self._memory, "named_gradients", None)
        return list(nested() if callable(nested) else self._memory.grads.items())  # type: ignore[union-attr]

    # -- with any memory -----------------------------------------------------------------------------------
    def decode(self, x: Array, memory: Array, *, tgt_mask: Array | None = None, memory_mask: Array | None = None,
               tgt_key_padding_mask: Array | None = None, memory_key_padding_mask: Array | None = None,
               training: bool = False) -> tuple[Array, Any]:
        """torch's ``forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask)``
        with ``tgt_is_causal`` = the layer's ``causal``: returns ``(y, cache)`` for `decode_backward`."""
        self.check_sequence("x", x)
        self.check_sequence("memory", memory)

        def self_attention(a: Array) -> tuple[Array, Any]:
            y, _, cache = self.self_attn.attend(a, a, a, padding_mask=tgt_key_padding_mask, attn_mask=tgt_mask,
                                                need_weights=False, training=training)
            return y, cache

        def cross_attention(a: Array) -> tuple[Array, Any]:
            y, _, cache = self.multihead_attn.attend(a, memory, memory, padding_mask=memory_key_padding_mask,
                                                     attn_mask=memory_mask, need_weights=False, training=training)
            return y, cache

        h1, cache1 = self.sublayer(1, x, self_attention, training=training)
        h2, cache2 = self.sublayer(2, h1, cross_attention, training=training)
        y, cache3 = self.sublayer(3, h2, lambda a: self.feed_forward(a, training=training), training=training)
        return y, (cache1, cache2, cache3)

    def decode_backward(self, grad: Array, cache: Any) -> tuple[Array, Array]:
        """d loss / d x and d loss / d memory from d loss / d y; fills every parameter's gradient."""
        cache1, cache2, cache3 = cache
        sums: dict[int, dict[str, Array]] = {}
        grad_memory: list[Array] = []

        def cross_attention_backward(g: Array, attention_cache: Any) -> Array:
            grad_q, grad_k, grad_v = self.multihead_attn.attend_backward(g, attention_cache)
            grad_memory.append(grad_k + grad_v)
            return grad_q

        grad = self.sublayer_backward(3, grad, cache3, self.feed_forward_backward(sums), sums)
        grad = self.sublayer_backward(2, grad, cache2, cross_attention_backward, sums)
        grad = self.sublayer_backward(1, grad, cache1, self.self_attn.one_input_backward, sums)
        self.gather_grads(sums)
        return grad, grad_memory[0]

    def gather_grads(self, sums: dict[int, dict[str, Array]]) -> None:
        """The attentions fill their own gradients (`attend_backward`), the other children through ``sums``."""
        for attention in (self.self_attn, self.multihead_attn):
            sums[id(attention)] = dict(attention.grads)
        if self._memory is not None:
            sums.setdefault(id(self._memory), dict(self._memory_grads()))
        super().gather_grads(sums)

