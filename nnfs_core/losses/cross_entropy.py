"""CrossEntropy: softmax cross-entropy on logits, as ``torch.nn.CrossEntropyLoss(label_smoothing=...)``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nnfs_core.errors import ShapeError
from nnfs_core.losses._targets import check_class_target, class_labels, class_scores, is_labels
from nnfs_core.protocols import Array, BaseLoss
from nnfs_core.validation import check_int, check_positive

__all__ = ["CrossEntropy"]

# With from_logits=False, probabilities are clipped below before the log, so that a zero probability
# costs 100 (torch's BCELoss clamps its logs at -100 the same way) instead of inf.
_LOG_FLOOR = -100.0


class CrossEntropy(BaseLoss):
    r"""Mean cross-entropy between class scores and targets, with optional label smoothing.

    With logits z (N, C) and log-probabilities log p = z - logsumexp(z) (stable: the row maximum is
    subtracted before ``exp``), and eps = ``label_smoothing``:

    $$
    \begin{aligned}
    \text{labels } y \ (N,): && l_i &= -(1 - \epsilon) \log p_{i, y_i} - \frac{\epsilon}{C} \sum_c \log p_{i, c} \\
    \text{probabilities } t \ (N, C): && l_i &= -\sum_c t'_{i, c} \log p_{i, c},
      \quad t' = (1 - \epsilon) t + \frac{\epsilon}{C} \\
    && L &= \frac{1}{N} \sum_i l_i, \quad
      \frac{\partial L}{\partial z} = \frac{1}{N} \left(p \sum_c t' - t'\right)
    \end{aligned}
    $$

    ($t'$ is the smoothed one-hot row for labels.)

    which is ``torch.nn.CrossEntropyLoss(label_smoothing=eps)`` with mean reduction.

    ``from_logits=False`` takes probabilities p (rows summing to 1, e.g. a softmax layer's output) instead:
    the loss is the same formula with log p replaced by ``log(max(p, floor))``, ``floor = max(e^-100, the
    dtype's smallest normal number)`` - a zero probability then costs about 100 (87 in float32) rather than
    inf - i.e. NLL of the clipped log-probabilities. Its gradient is ``-t' / p / N`` where ``p >= floor`` and
    0 where p was clipped.

    Shapes: y_pred (N, C); y_true integer labels (N,) in [0, C) or float probability targets (N, C).
    Sequences: y_pred (N, L, C) (classes last, as a per-step Dense gives them) with labels (N, L), or
    probability targets (N, L, C): every step is a row, and the mean is over all steps of all samples
    (``torch.nn.CrossEntropyLoss`` on ``y_pred.permute(0, 2, 1)``).
    The result of ``backward`` has y_pred's shape and dtype (float32 stays float32).

    ``ignore_index`` (labels only, as in torch): rows whose label equals it contribute nothing, and the mean
    is over the other rows, so padded steps of a sequence do not count. A batch in which every row is
    ignored has loss 0 and gradient 0 (torch gives NaN, which would stop training on an all-padding batch).

    Training goes through ``forward_pass``/``backward_pass``: the cache hands the softmax's numerators from
    the one to the other, so the gradient is that buffer turned in place into ``(p - t') / N``. ``forward``
    and ``backward`` on their own compute the softmax each time.

    Parameters
    ----------
    from_logits : bool
        True: ``y_pred`` are unnormalised scores (logits). False: probabilities.
    label_smoothing : float
        eps in [0, 1]: the target puts mass eps / C on every class.
    ignore_index : int
        A label value whose rows are left out of the loss and its mean (torch's default, -100, is never a
        class, so nothing is ignored unless labels use it).
    """

    default_metrics = ("accuracy",)

    def __init__(self, *, from_logits: bool = True, label_smoothing: float = 0.0, ignore_index: int = -100) -> None:
        check_positive("CrossEntropy", "label_smoothing", label_smoothing, allow_zero=True)
        self.ignore_index = check_int("CrossEntropy", "ignore_index", ignore_index, minimum=None)
        if label_smoothing > 1:
            raise ValueError(f"CrossEntropy: label_smoothing must be in [0, 1], got {label_smoothing!r}")
        if not isinstance(from_logits, (bool, np.bool_)):
            raise TypeError(f"CrossEntropy: from_logits must be True or False, got {from_logits!r}")
        self.from_logits = bool(from_logits)
        self.label_smoothing = float(label_smoothing)

    @property
    def _what(self) -> str:
        return "logits" if self.from_logits else "probabilities"

    def check_target(self, output_shape: tuple[int, ...], y_true: Array) -> None:
        output_shape = tuple(output_shape)
        if len(output_shape) > 1:  # a sequence: every step is a row
            steps = output_shape[:-1]
            if is_labels(y_true) and tuple(y_true.shape[1:]) != steps:
                raise ShapeError(f"CrossEntropy expects {self._what} of shape (N, C), or (N, L, C) with labels (N, L) "
                                 f"for sequences; the network gives {output_shape} per sample, so labels must have "
                                 f"shape (N, {', '.join(map(str, steps))}), got labels of shape {y_true.shape}")
            y_true = y_true.reshape(-1) if is_labels(y_true) else y_true.reshape(-1, output_shape[-1])
            output_shape = output_shape[-1:]
        if is_labels(y_true) and y_true.ndim == 1:
            y_true = y_true[y_true != self.ignore_index]
        check_class_target("CrossEntropy", output_shape, y_true, what=self._what, probabilities=True)

    # -- from logits -------------------------------------------------------------------------------------
    def forward(self, y_pred: Array, y_true: Any) -> float:
        return self.forward_pass(y_pred, y_true)[0]

    def backward(self, y_pred: Array, y_true: Any) -> Array:
        return self.backward_pass((y_pred, y_true, None))

    def forward_pass(self, y_pred: Array, y_true: Any) -> tuple[float, Any]:
        """The loss, and a cache holding the softmax's numerators so that backward does not compute them again."""
        given = (y_pred, y_true)
        y_pred, y_true = self._inputs(y_pred, y_true)
        kept = self._kept(y_true)
        if kept is not None:
            return self._forward_ignoring(y_pred, y_true, kept), (*given, None)
        if not self.from_logits:
            return self._forward_probabilities(y_pred, y_true), (*given, None)
        n, classes = y_pred.shape
        eps = self.label_smoothing
        shifted = y_pred - y_pred.max(axis=1, keepdims=True)
        # l_i = -sum_c t'_ic (shifted_ic - log sum_exp_i) = log(sum_exp_i) sum_c t'_ic - sum_c t'_ic shifted_ic
        if is_labels(y_true):
            labels = class_labels("CrossEntropy", y_true, classes)
            weighted = (1.0 - eps) * float(shifted[np.arange(n), labels].sum())  # no one-hot matrix
            target_mass: Array | None = None  # every smoothed one-hot row sums to 1
        else:
            targets = y_true.astype(y_pred.dtype, copy=False)
            weighted = (1.0 - eps) * float(np.einsum("ij,ij->", targets, shifted))
            target_mass = (1.0 - eps) * targets.sum(axis=1) + eps
        if eps:
            weighted += eps / classes * float(shifted.sum())
        exp = np.exp(shifted, out=shifted)
        sum_exp = exp.sum(axis=1)
        log_sum_exp = np.log(sum_exp)
        lse_term = float(log_sum_exp.sum() if target_mass is None else log_sum_exp @ target_mass)
        return (lse_term - weighted) / n, (*given, (exp, sum_exp))

    def backward_pass(self, cache: Any) -> Array:
        y_pred, y_true, softmax_parts = cache
        shape = np.shape(y_pred)
        y_pred, y_true = self._inputs(y_pred, y_true)
        kept = self._kept(y_true)
        if kept is not None:
            return self._backward_ignoring(y_pred, y_true, kept).reshape(shape)
        if not self.from_logits:
            return self._backward_probabilities(y_pred, y_true).reshape(shape)
        return self._backward_logits(y_pred, y_true, softmax_parts).reshape(shape)

    def _backward_logits(self, y_pred: Array, y_true: Array, softmax_parts: Any) -> Array:
        n, classes = y_pred.shape
        eps = self.label_smoothing
        if softmax_parts is None:
            exp = y_pred - y_pred.max(axis=1, keepdims=True)
            np.exp(exp, out=exp)
            sum_exp = exp.sum(axis=1)
        else:
            exp, sum_exp = softmax_parts
        grad = np.divide(exp, sum_exp[:, None], out=exp)  # the softmax, in the forward's buffer (this call's own)
        if is_labels(y_true):
            grad[np.arange(n), class_labels("CrossEntropy", y_true, classes)] -= 1.0 - eps
            if eps:
                grad -= eps / classes
        else:
            targets = y_true.astype(y_pred.dtype, copy=False)
            target_mass = (1.0 - eps) * targets.sum(axis=1) + eps
            grad *= target_mass[:, None]
            grad -= targets if eps == 0 else (1.0 - eps) * targets + eps / classes
        grad *= 1.0 / n
        return grad

    # -- ignore_index ------------------------------------------------------------------------------------
    def _kept(self, y_true: Array) -> Array | None:
        """The rows whose label is not ``ignore_index`` (a bool mask), or None when every row counts."""
        if not is_labels(y_true):
            return None
        ignored = y_true == self.ignore_index
        return ~ignored if ignored.any() else None

    def _rows_loss(self) -> CrossEntropy:
        return CrossEntropy(from_logits=self.from_logits, label_smoothing=self.label_smoothing)

    def _forward_ignoring(self, y_pred: Array, y_true: Array, kept: Array) -> float:
        """The mean over the kept rows only: the loss of those rows, as if the batch held only them."""
        return self._rows_loss().forward(y_pred[kept], y_true[kept]) if kept.any() else 0.0

    def _backward_ignoring(self, y_pred: Array, y_true: Array, kept: Array) -> Array:
        grad = np.zeros_like(y_pred)
        if kept.any():
            grad[kept] = self._rows_loss().backward(y_pred[kept], y_true[kept])
        return grad

    # -- from probabilities ------------------------------------------------------------------------------
    def _floor(self, dtype: np.dtype[Any]) -> float:
        return max(math.exp(_LOG_FLOOR), float(np.finfo(dtype).tiny))

    def _smoothed(self, y_pred: Array, y_true: Array) -> Array:
        """t' as a dense (N, C) array (the from_logits=False path is not the hot one)."""
        n, classes = y_pred.shape
        eps = self.label_smoothing
        if is_labels(y_true):
            targets = np.full_like(y_pred, eps / classes)
            targets[np.arange(n), class_labels("CrossEntropy", y_true, classes)] += 1.0 - eps
            return targets
        return (1.0 - eps) * y_true.astype(y_pred.dtype, copy=False) + eps / classes

    def _forward_probabilities(self, y_pred: Array, y_true: Array) -> float:
        log_p = np.log(np.maximum(y_pred, self._floor(y_pred.dtype)))
        return -float(np.einsum("ij,ij->", self._smoothed(y_pred, y_true), log_p)) / len(y_pred)

    def _backward_probabilities(self, y_pred: Array, y_true: Array) -> Array:
        floor = self._floor(y_pred.dtype)
        grad = self._smoothed(y_pred, y_true)
        np.divide(grad, np.maximum(y_pred, floor), out=grad)
        grad[y_pred < floor] = 0
        grad *= -1.0 / len(y_pred)
        return grad

    def _inputs(self, y_pred: Any, y_true: Any) -> tuple[Array, Array]:
        """(rows, C) scores and their targets: a sequence's (N, L, C) becomes (N L, C) with labels (N L,)."""
        y_pred, y_true = np.asarray(y_pred), np.asarray(y_true)
        if y_pred.dtype.kind != "f":
            y_pred = y_pred.astype(np.float64)
        if y_pred.ndim > 2:
            steps = y_pred.shape[:-1]
            expected = steps if is_labels(y_true) else y_pred.shape
            if y_true.shape != expected:
                raise ShapeError(f"CrossEntropy got {self._what} of shape {y_pred.shape}: it needs integer labels of "
                                 f"shape {steps} or probability targets of shape {y_pred.shape}, got targets of "
                                 f"shape {y_true.shape}")
            y_pred = y_pred.reshape(-1, y_pred.shape[-1])
            y_true = y_true.reshape(-1) if is_labels(y_true) else y_true.reshape(-1, y_pred.shape[-1])
        class_scores("CrossEntropy", y_pred, y_true, self._what)
        if not is_labels(y_true) and y_true.shape != y_pred.shape:
            raise ShapeError(
                f"CrossEntropy needs integer labels (N,) or probability targets of the {self._what}' shape "
                f"{y_pred.shape}, got {y_true.dtype} targets of shape {y_true.shape}"
            )
        if not self.from_logits and float(y_pred.min()) < 0:
            raise ValueError(
                "CrossEntropy(from_logits=False) expects probabilities >= 0 (a softmax output), got values down to "
                f"{float(y_pred.min()):g}; pass from_logits=True for raw scores"
            )
        return y_pred, y_true
