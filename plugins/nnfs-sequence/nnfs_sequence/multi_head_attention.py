"""MultiHeadAttention: scaled dot-product attention over several heads, as ``torch.nn.MultiheadAttention``."""

from __future__ import annotations

import math
from typing import Any, ClassVar, NamedTuple

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.layers.composite import CompositeLayer, backward_through
from nnfs_core.protocols import Array, run_forward
from nnfs_core.validation import check_flag, check_int, check_number
from nnfs_sequence._masks import additive_mask

__all__ = ["MultiHeadAttention"]


class _Cache(NamedTuple):
    query: Array          # (N, Lq, E) the inputs, for the projections' weight gradients
    key: Array
    value: Array
    heads: tuple[Array, Array, Array]   # Q / sqrt(d), K, V per head, (N, H, L, d)
    probabilities: Array  # (N, H, Lq, Lk) softmax of the scores
    dropped: Array        # the probabilities after dropout (the same array without dropout)
    keep: Array | None    # the dropout's scaled keep mask
    context: Array        # (N, Lq, E) the heads' outputs side by side, before out_proj


class MultiHeadAttention(CompositeLayer):
    r"""y = concat_h(softmax(Q_h K_h^T / sqrt(d) + M) V_h) W_o^T + b_o, with Q = q W_q^T + b_q, K, V alike.

    $$
    P_h = \operatorname{softmax}\!\Big(\frac{Q_h K_h^\top}{\sqrt d} + M\Big), \qquad
    \frac{\partial L}{\partial S_h} = P_h \odot \Big(\frac{\partial L}{\partial P_h}
      - \textstyle\sum_k \frac{\partial L}{\partial P_h} \odot P_h\Big)
    $$

    with d = E / H and M the mask: -inf where a query may not look (the causal mask's future steps, padded
    keys), 0 elsewhere, plus any float ``attn_mask``. A query row whose every key is masked attends to
    nothing: its context is zero (torch gives NaN there).

    Shapes: x (N, L, E) -> (N, L, E) (batch first). ``in_proj_weight`` (3 E, E) stacks W_q, W_k, W_v and
    ``in_proj_bias`` (3 E,) their biases; ``out_proj.weight`` (E, E), ``out_proj.bias`` (E,): PyTorch's
    names and shapes, so a ``state_dict`` of ``nn.MultiheadAttention(E, H, batch_first=True)`` moves across
    by name.

    In a layer list the layer attends from x to itself (self-attention). Cross attention takes its keys
    and values from a second sequence: in a layer list that sequence is ``memory(x)``, a path applied to
    the same input as a `branch` applies its paths (its arrays under ``memory.<...>``); from code,
    `attend(query, key, value, ...)` takes any three sequences and returns torch's attention weights
    too (``need_weights``). Padded keys are left out given a ``padding_mask`` (N, L), True at padding (torch's
    ``key_padding_mask``): `attend` takes it, and the pack's `masked` combinator hands it to the layer
    from the ids.

    Parameters
    ----------
    num_heads : int
        Heads H; the embedding size E (the input's last axis) must be a multiple of it.
    dropout : float
        Probability of zeroing an attention weight while training (torch's ``dropout``).
    use_bias : bool
        Learn ``in_proj_bias`` and ``out_proj.bias`` (torch's ``bias``).
    causal : bool
        Step t attends to steps 0..t only (torch's ``is_causal`` with the square subsequent mask).
    memory : layer, name, config dict, or a list of them, optional
        Cross attention in a layer list: keys and values come from ``memory(x)`` (N, S, E) instead of x.
    """

    example_args: ClassVar[dict[str, Any]] = {"num_heads": 2}
    example_input_shape: ClassVar[tuple[int, ...]] = (3, 4)

    def __init__(self, num_heads: int, *, dropout: float = 0.0, use_bias: bool = True, causal: bool = False,
                 memory: Any = None) -> None:
        super().__init__()
        self.num_heads = check_int("MultiHeadAttention", "num_heads", num_heads)
        self.dropout = check_number("MultiHeadAttention", "dropout", dropout, low=0.0, high=1.0, high_open=True)
        self.use_bias = check_flag("MultiHeadAttention", "use_bias", use_bias)
        self.causal = check_flag("MultiHeadAttention", "causal", causal)
        self.memory = memory
        if memory is None:
            self._memory = None
        else:
            from nnfs_core import registry
            from nnfs_core.layers.sequential import Sequential

            self._memory = Sequential(memory) if isinstance(memory, list) else registry.layers.resolve(memory)

    accepts_padding_mask: ClassVar[bool] = True

    @property
    def training_differs(self) -> bool:  # type: ignore[override]
        return self.dropout > 0 or bool(getattr(self._memory, "training_differs", False))

    def children(self) -> list[tuple[str, Any]]:
        return [] if self._memory is None else [("memory", self._memory)]

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """Weights and gradients held; per sample the projections, scores and probabilities of every head."""
        if len(input_shape) != 2:
            return 0, 0
        steps, width = input_shape
        return 2 * (4 * width * width + 4 * width), 8 * steps * width + 3 * self.num_heads * steps * steps

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        if len(input_shape) != 2:
            raise ShapeError(f"MultiHeadAttention expects sequences (N, L, E) (batch first), so a per-sample shape "
                             f"(L, E); got {tuple(input_shape)}")
        width = int(input_shape[1])
        if width % self.num_heads:
            raise ShapeError(f"MultiHeadAttention(num_heads={self.num_heads}) needs an embedding size divisible by "
                             f"the heads, got E = {width}; change num_heads or the width before the layer")
        super().build(input_shape, rng=rng, dtype=dtype)
        self._rng = rng
        if self._memory is not None:
            shape = self.build_child(self._memory, self.input_shape, rng=rng, dtype=self.dtype)  # type: ignore[arg-type]
            if len(shape) != 2 or shape[1] != width:
                raise ShapeError(f"MultiHeadAttention: memory gives samples of shape {shape}; cross attention needs "
                                 f"sequences (S, {width}) of the query's width")
        self.collect_arrays()
        self.embed_dim = width
        # torch: xavier_uniform_ on in_proj_weight (3E, E), biases zero, out_proj as nn.Linear's weight
        bound = math.sqrt(6.0 / (width + 3 * width))
        self.params["in_proj_weight"] = rng.uniform(-bound, bound, (3 * width, width)).astype(self.dtype)
        limit = 1.0 / math.sqrt(width)
        self.params["out_proj.weight"] = rng.uniform(-limit, limit, (width, width)).astype(self.dtype)
        if self.use_bias:
            self.params["in_proj_bias"] = np.zeros(3 * width, self.dtype)
            self.params["out_proj.bias"] = np.zeros(width, self.dtype)
        self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self.output_shape = tuple(self.input_shape)  # type: ignore[arg-type]
        return self.output_shape

    # -- the layer in a list ------------------------------------------------------------------------------
    def forward_pass(self, x: Array, *, training: bool = False, padding_mask: Array | None = None) -> tuple[Array, Any]:
        """Self-attention on x, or cross attention from x to ``memory(x)``; ``padding_mask`` (N, L) marks x's
        padded steps (as keys, for self-attention; the memory's own steps otherwise are not padded)."""
        self._check_sequence("x", x)
        if self._memory is None:
            y, _, cache = self.attend(x, x, x, padding_mask=padding_mask, need_weights=False, training=training)
            return y, (cache, None)
        memory, memory_cache = run_forward(self._memory, x, training=training)
        y, _, cache = self.attend(x, memory, memory, need_weights=False, training=training)
        return y, (cache, memory_cache)

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        attention_cache, memory_cache = cache
        if self._memory is None:
            return self.one_input_backward(grad, attention_cache)
        grad_query, grad_key, grad_value = self.attend_backward(grad, attention_cache)
        sums: dict[int, dict[str, Array]] = {}
        grad_x = grad_query + backward_through([self._memory], grad_key + grad_value, [memory_cache], sums)
        for path, value in sums[id(self._memory)].items():
            self.grads[f"memory.{path}"][...] = value
        return grad_x

    # -- attention between any three sequences --------------------------------------------------------------
    def attend(self, query: Array, key: Array, value: Array, *, padding_mask: Array | None = None,
               attn_mask: Array | None = None, causal: bool | None = None, need_weights: bool = True,
               average_attn_weights: bool = True, training: bool = False) -> tuple[Array, Array | None, Any]:
        """torch's ``forward(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights,
        is_causal)``: returns ``(output (N, Lq, E), weights or None, cache)``; hand the cache to `attend_backward`.

        ``padding_mask`` (N, Lk): True (or -inf) at padded keys. ``attn_mask``: (Lq, Lk) or (N H, Lq, Lk), True
        where a query may not look, or floats added to the scores. ``causal`` defaults to the layer's. The
        weights are (N, Lq, Lk) averaged over heads, or (N, H, Lq, Lk), after dropout as torch's; they carry no
        gradient."""
        for name, array in (("query", query), ("key", key), ("value", value)):
            self._check_sequence(name, array)
        n, steps, width = query.shape
        if key.shape[:2] != value.shape[:2] or key.shape[0] != n:
            raise ShapeError(f"MultiHeadAttention: key {key.shape} and value {value.shape} need the same batch and "
                             f"length, and the query's batch {n}")
        heads, size = self.num_heads, width // self.num_heads
        weight, bias = self.params["in_proj_weight"], self.params.get("in_proj_bias")
        if query is key and key is value:  # self-attention: the three projections in one product
            projected = np.split(self.ops.affine(query, weight, bias), 3, axis=-1)
        else:
            projected = [self.ops.affine(array, weight[k * width:(k + 1) * width],
                                         None if bias is None else bias[k * width:(k + 1) * width])
                         for k, array in enumerate((query, key, value))]
        q, k, v = (p.reshape(n, -1, heads, size).transpose(0, 2, 1, 3) for p in projected)
        q = q * q.dtype.type(1.0 / math.sqrt(size))  # scale Q (half the size of the scores), contiguous
        scores = self.ops.matmul(q, k.transpose(0, 1, 3, 2))
        mask = additive_mask(n, heads, steps, key.shape[1], scores.dtype, padding_mask=padding_mask,
                             attn_mask=attn_mask, causal=self.causal if causal is None else causal)
        if mask is not None:
            scores += mask
        probabilities = _softmax(scores)
        dropped, keep = probabilities, None
        if training and self.dropout > 0:
            draws = self._rng.random(probabilities.shape, dtype=self.dtype)  # in the layer's dtype: no float64 array
            keep = np.multiply(draws >= self.dropout, self.dtype.type(1.0 / (1.0 - self.dropout)), out=draws)
            dropped = probabilities * keep
        context, (heads_view,) = _heads_buffer(n, steps, heads, size, dropped.dtype)
        self.ops.matmul(dropped, v, out=heads_view)
        y = self.ops.affine(context, self.params["out_proj.weight"], self.params.get("out_proj.bias"))
        weights = None
        if need_weights:
            weights = dropped.mean(axis=1) if average_attn_weights else dropped.copy()
        return y, weights, _Cache(query, key, value, (q, k, v), probabilities, dropped, keep, context)

    def attend_backward(self, grad: Array, cache: _Cache) -> tuple[Array, Array, Array]:
        """d loss / d (query, key, value) from d loss / d output; fills the attention's own gradients. When `attend`
        got one array as all three (self-attention), the whole gradient comes first and the other two are zero."""
        grad_query, grad_key, grad_value = self._backward(grad, cache)
        if grad_key is None or grad_value is None:
            return grad_query, np.zeros_like(grad_query), np.zeros_like(grad_query)
        return grad_query, grad_key, grad_value

    def one_input_backward(self, grad: Array, cache: _Cache) -> Array:
        """d loss / d x when `attend` took query, key and value from one sequence x (the sum of the three)."""
        grad_query, grad_key, grad_value = self._backward(grad, cache)
        return grad_query if grad_key is None or grad_value is None else grad_query + grad_key + grad_value

    def _backward(self, grad: Array, cache: _Cache) -> tuple[Array, Array | None, Array | None]:
        """`attend_backward`, with None for the key's and value's gradients of self-attention (all in the first)."""
        n, steps, width = grad.shape
        heads, size = self.num_heads, width // self.num_heads
        q, k, v = cache.heads  # q carries the scale 1/sqrt(d)
        grad_context = self.ops.affine_backward(grad, cache.context, self.params["out_proj.weight"],
                                                self.grads["out_proj.weight"], self.grads.get("out_proj.bias"))
        grad_context = grad_context.reshape(n, steps, heads, size).transpose(0, 2, 1, 3)
        grad_p = self.ops.matmul(grad_context, v.transpose(0, 1, 3, 2))
        if cache.keep is not None:
            grad_p *= cache.keep
        p = cache.probabilities
        along = (grad_p * p).sum(axis=-1, keepdims=True)
        grad_p -= along
        grad_p *= p  # now d loss / d scores
        self_attention = cache.query is cache.key and cache.key is cache.value
        if self_attention:  # the three heads' gradients side by side: the projections' gradient, no copy
            together, views = _heads_buffer(n, steps, heads, size, grad.dtype, count=3)
            parts = [together[..., index * width:(index + 1) * width] for index in range(3)]
        else:
            made = [_heads_buffer(n, array.shape[1], heads, size, grad.dtype)
                    for array in (cache.query, cache.key, cache.value)]
            parts, views = [part for part, _ in made], [view for _, (view,) in made]
        self.ops.matmul(grad_p, k, out=views[0])
        views[0] *= views[0].dtype.type(1.0 / math.sqrt(size))
        self.ops.matmul(grad_p.transpose(0, 1, 3, 2), q, out=views[1])
        self.ops.matmul(cache.dropped.transpose(0, 1, 3, 2), grad_context, out=views[2])
        weight = self.params["in_proj_weight"]
        grad_weight, grad_bias = self.grads["in_proj_weight"], self.grads.get("in_proj_bias")
        if self_attention:  # one product, as in the forward
            return self.ops.affine_backward(together, cache.query, weight, grad_weight, grad_bias), None, None
        inputs = []
        for index, (part, source) in enumerate(zip(parts, (cache.query, cache.key, cache.value))):
            rows = slice(index * width, (index + 1) * width)
            inputs.append(self.ops.affine_backward(part, source, weight[rows], grad_weight[rows],
                                                   None if grad_bias is None else grad_bias[rows]))
        return inputs[0], inputs[1], inputs[2]

    def _check_sequence(self, name: str, array: Array) -> None:
        if array.ndim != 3 or array.shape[2] != self.embed_dim:
            raise ShapeError(f"MultiHeadAttention expects {name} of shape (N, L, {self.embed_dim}) (batch first), "
                             f"got an array of shape {array.shape}")


def _heads_buffer(n: int, steps: int, heads: int, size: int, dtype: Any, count: int = 1) -> tuple[Array, list[Array]]:
    """An (N, L, count H d) array and its ``count`` per-head views (N, H, L, d), for products to write into: the
    heads come out side by side (the layout the projections use) with no transpose and copy afterwards."""
    flat = np.empty((n, steps, count * heads * size), dtype)
    views = flat.reshape(n, steps, count, heads, size).transpose(2, 0, 3, 1, 4)
    return flat, list(views)


def _row_max(scores: Array) -> Array:
    """The maximum over the last axis, keepdims: halving the rows with np.maximum runs on whole vectors, several
    times quicker than a reduction along short rows (64 keys: 0.5 against 0.9 ms for 32 x 4 heads)."""
    top = scores
    while top.shape[-1] > 1 and top.shape[-1] % 2 == 0:
        half = top.shape[-1] // 2
        top = np.maximum(top[..., :half], top[..., half:])
    return top.max(axis=-1, keepdims=True)


def _softmax(scores: Array) -> Array:
    """Softmax over the last axis in place; a row that is -inf everywhere (every key masked) becomes zeros."""
    top = _row_max(scores)
    top[~np.isfinite(top)] = 0
    scores -= top
    np.exp(scores, out=scores)
    total = scores.sum(axis=-1, keepdims=True)
    total[total == 0] = 1
    scores /= total
    return scores
