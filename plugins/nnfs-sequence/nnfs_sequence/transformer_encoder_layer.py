"""TransformerEncoderLayer: self-attention and a feed-forward block, each with a residual connection and a
LayerNorm, as ``torch.nn.TransformerEncoderLayer(batch_first=True)``."""

from __future__ import annotations

from typing import Any, ClassVar

from nnfs_core.layers.composite import backward_through
from nnfs_core.protocols import Array
from nnfs_sequence._transformer import TransformerBase

__all__ = ["TransformerEncoderLayer"]


class TransformerEncoderLayer(TransformerBase):
    r"""One Transformer encoder block over (N, L, E) sequences.

    $$
    \begin{aligned}
    \text{post-norm:}\quad h &= \mathrm{LN}_1(x + \mathrm{SA}(x)), & y &= \mathrm{LN}_2(h + \mathrm{FF}(h)) \\
    \text{pre-norm:}\quad h &= x + \mathrm{SA}(\mathrm{LN}_1(x)), & y &= h + \mathrm{FF}(\mathrm{LN}_2(h))
    \end{aligned}
    $$

    with SA multi-head self-attention (then dropout), FF(h) = W_2 dropout(act(W_1 h + b_1)) + b_2 (then
    dropout), act ReLU or GELU (exact, erf). Built of the layers it is made of - `multi_head_attention`,
    `dense`, `layer_norm`, `dropout` and the activation - named as torch's children, so the parameter paths
    are torch's: ``self_attn.in_proj_weight``, ``self_attn.out_proj.weight``, ``linear1.weight`` (F, E),
    ``linear2.weight`` (E, F), ``norm1.weight``, ``norm2.bias``, ... and a ``state_dict`` moves across by name.
    Given a ``padding_mask`` (from the `masked` combinator) padded steps are left out as keys.

    Shapes: x (N, L, E) -> (N, L, E); E must be a multiple of ``num_heads``.

    Parameters
    ----------
    num_heads : int
        Attention heads (torch's ``nhead``).
    dim_feedforward : int
        Width F of the feed-forward block.
    dropout : float
        Dropout after attention (and on its weights), inside and after the feed-forward block, while training.
    activation : {"relu", "gelu"}
        The feed-forward block's non-linearity (from the registry: nnfs-activations).
    layer_norm_eps : float
        The LayerNorms' eps.
    norm_first : bool
        Pre-norm (True) or post-norm (False, torch's default).
    use_bias : bool
        Biases in the attention, the linear maps (torch's ``bias``; the norms keep theirs).
    causal : bool
        Step t attends to steps 0..t only (a decoder-only language model).
    """

    example_args: ClassVar[dict[str, Any]] = {"num_heads": 2, "dim_feedforward": 6, "dropout": 0.0}
    example_input_shape: ClassVar[tuple[int, ...]] = (3, 4)

    def forward_pass(self, x: Array, *, training: bool = False, padding_mask: Array | None = None) -> tuple[Array, Any]:
        self.check_sequence("x", x)

        def attention(a: Array) -> tuple[Array, Any]:
            return self.self_attn.forward_pass(a, training=training, padding_mask=padding_mask)

        h, attention_cache = self.sublayer(1, x, attention, training=training)
        y, feed_forward_cache = self.sublayer(2, h, lambda a: self.feed_forward(a, training=training),
                                              training=training)
        return y, (attention_cache, feed_forward_cache)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        attention_cache, feed_forward_cache = cache
        sums: dict[int, dict[str, Array]] = {}
        grad = self.sublayer_backward(2, grad, feed_forward_cache, self.feed_forward_backward(sums), sums)
        grad = self.sublayer_backward(1, grad, attention_cache,
                                      lambda g, c: backward_through([self.self_attn], g, [c], sums), sums)
        self.gather_grads(sums)
        return grad
