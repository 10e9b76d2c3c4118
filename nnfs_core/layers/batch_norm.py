"""BatchNorm: batch normalisation over the channel axis, as torch.nn.BatchNorm1d / BatchNorm2d."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.protocols import Array, BaseLayer
from nnfs_core.torch_weights import TorchName
from nnfs_core.validation import check_positive

__all__ = ["BatchNorm"]


class BatchNorm(BaseLayer):
    r"""y = (x - mean) / sqrt(var + eps) * weight + bias, statistics per channel (axis 1).

    $$
    \hat x = \frac{x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \quad y = \gamma \hat x + \beta, \qquad
    \frac{\partial L}{\partial x} = \frac{\gamma}{m \sqrt{\sigma^2 + \epsilon}}
    \left(m\, g - \textstyle\sum g - \hat x \sum g \hat x\right)
    $$

    with $\mu$, $\sigma^2$ the mean and biased variance of each channel over its $m$ values in the batch
    (N, or N L, or N H W), $\gamma$ = ``weight``, $\beta$ = ``bias`` and $g = \partial L / \partial y$.

    Shapes: x (N, C) or (N, C, L) or (N, C, H, W) -> the same; weight, bias (C,).
    Training uses the batch's statistics (biased variance) and updates the running ones in
    ``state``: running = (1 - momentum) * running + momentum * batch (unbiased variance), as PyTorch.
    Inference uses the running statistics.

    A frozen BatchNorm (``trainable = False``, itself or a block around it: ``net.freeze``) runs as in
    inference even while the network trains: it normalises with its running statistics and keeps them, as
    in Keras, so fine-tuning on a small dataset does not drift statistics learnt on a large one
    (docs/training.md, "BatchNorm in a frozen block"). ``update_stats_when_frozen=True`` keeps torch's
    behaviour instead: a frozen layer in training still normalises with the batch's statistics and updates
    the running ones (only its weight and bias stay fixed).

    Parameters
    ----------
    momentum : float
        Weight of the batch's statistics in the running ones, in [0, 1] (torch's ``momentum``).
    eps : float
        Added to the variance before the square root, > 0.
    affine : bool
        Learn a per-channel ``weight`` and ``bias``.
    update_stats_when_frozen : bool
        When frozen, keep normalising with the batch's statistics and updating the running ones (torch)
        instead of running in inference mode (Keras, the default).
    """

    training_differs = True

    def __init__(self, momentum: float = 0.1, *, eps: float = 1e-5, affine: bool = True,
                 update_stats_when_frozen: bool = False) -> None:
        super().__init__()
        check_positive("BatchNorm", "momentum", momentum, allow_zero=True)
        check_positive("BatchNorm", "eps", eps)
        if momentum > 1:
            raise ValueError(f"BatchNorm: momentum must be in [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.affine = bool(affine)
        if not isinstance(update_stats_when_frozen, bool):
            raise TypeError(f"BatchNorm: update_stats_when_frozen must be True or False, "
                            f"got {update_stats_when_frozen!r}")
        self.update_stats_when_frozen = update_stats_when_frozen

    def torch_names(self) -> list[TorchName]:
        """Torch's names: the same arrays, and ``num_batches_tracked``, which nnfs does not count (torch reads
        it only with ``momentum=None``, which nnfs does not offer): written as 0, its value ignored on loading."""
        own = [TorchName(name, name) for name in (*self.params, *self.state)]
        return [*own, TorchName("num_batches_tracked", None, fill=np.zeros((), np.int64))]

    def build_cost(self, input_shape: tuple[int, ...]) -> tuple[int, int]:
        """Per channel: weight, bias, their gradients, running mean and variance; a normalised copy per sample.

        The load budget's declaration (``docs/writing-a-pack.md``, "Build cost").
        """
        return 6 * (input_shape[0] if input_shape else 1), math.prod(input_shape)

    def build(self, input_shape: tuple[int, ...], *, rng: np.random.Generator, dtype: Any) -> tuple[int, ...]:
        if len(input_shape) not in (1, 2, 3):
            raise ShapeError(f"BatchNorm expects samples of shape (C,), (C, L) or (C, H, W), got {tuple(input_shape)}")
        super().build(input_shape, rng=rng, dtype=dtype)
        channels = input_shape[0]
        if self.affine:
            self.params = {"weight": np.ones(channels, self.dtype), "bias": np.zeros(channels, self.dtype)}
            self.grads = {name: np.zeros_like(value) for name, value in self.params.items()}
        self.state = {"running_mean": np.zeros(channels, self.dtype), "running_var": np.ones(channels, self.dtype)}
        self._axes = (0, *range(2, len(input_shape) + 1))
        self._broadcast = (1, channels) + (1,) * (len(input_shape) - 1)
        # Feature maps are worth splitting by channels over threads (the CPU backend does it); vectors are not.
        self.parallel = len(input_shape) > 1
        return self.output_shape  # type: ignore[return-value]

    def forward_pass(self, x: Array, *, training: bool = False) -> tuple[Array, Any]:
        if not self.trainable and not self.update_stats_when_frozen:
            training = False  # frozen: the running statistics normalise and stay as they are (Keras)
        if training and x.size // x.shape[1] < 2:
            raise ShapeError(f"BatchNorm needs more than one value per channel in training, got input {x.shape}")
        y, x_hat, inv_std = self.ops.batch_norm(
            x, self.params.get("weight"), self.params.get("bias"), self.state["running_mean"],
            self.state["running_var"], momentum=self.momentum, eps=self.eps, training=training)
        return y, (x_hat, inv_std, training)

    def inference_affine(self) -> tuple[Array, Array]:
        """``(scale, shift)`` per channel with inference's output x scale + shift: scale = weight / sqrt(var +
        eps), shift = bias - mean scale, from the running statistics. A convolution or Dense right before
        takes them into its weights (``layers.composite.infer_through``)."""
        mean, var = self.state["running_mean"], self.state["running_var"]
        scale = (1.0 / np.sqrt(var + self.eps)).astype(self.dtype)  # as ops.batch_norm's inv_std
        if self.affine:
            scale = scale * self.params["weight"]
        shift = -mean * scale if not self.affine else self.params["bias"] - mean * scale
        return scale, shift

    def backward_pass(self, grad: Array, cache: Any) -> Array:
        """dx = w / std * (g - mean(g) - x_hat * mean(g * x_hat)), the means per channel (batch statistics);
        dx = w / std * g with the running statistics, which are constants."""
        x_hat, inv_std, training = cache
        input_grad, grad_weight, grad_bias = self.ops.batch_norm_backward(grad, x_hat, inv_std,
                                                                          self.params.get("weight"), training=training)
        if self.affine:
            self.grads["weight"][...] = grad_weight
            self.grads["bias"][...] = grad_bias
        return input_grad
