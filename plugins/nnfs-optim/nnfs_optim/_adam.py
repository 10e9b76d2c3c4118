"""What Adam, AdamW, NAdam, RAdam and Adamax share: their hyperparameters, weight decay and moments.

Each rule differs only in how it turns the moments into a step, so each one's ``update`` reads as its
maths: weight decay (``decayed_gradient``), the moments (``update_moments``), then its own step. The
in-place helpers are named as torch names them (``lerp_``, ``mul_``, ``addcmul_``).
"""

from __future__ import annotations

from typing import Any

from nnfs_core.protocols import Array, BaseOptimizer
from nnfs_core.validation import check_betas, check_flag, check_positive
from nnfs_optim._buffers import Scratch, addcmul_, coupled_decay, lerp_, mul_, state_array

__all__ = ["AdamFamily"]


class AdamFamily(BaseOptimizer):
    """Base of the Adam family: ``betas``, ``eps``, ``weight_decay`` and (where the rule has it)
    ``decoupled_weight_decay``, checked once; the moments ``exp_avg`` and ``exp_avg_sq`` updated once.

    Subclasses implement ``update`` with the helpers below; they read every hyperparameter from ``self``
    (a parameter group's values are set there while its parameters are updated).
    """

    def __init__(
        self,
        learning_rate: float,
        *,
        betas: tuple[float, float],
        eps: float,
        weight_decay: float,
        decoupled_weight_decay: bool = False,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        param_groups: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(learning_rate, clip_norm=clip_norm, clip_value=clip_value, param_groups=param_groups)
        owner = type(self).__name__
        self.betas = check_betas(owner, betas)
        self.eps = check_positive(owner, "eps", eps, allow_zero=True)
        self.weight_decay = check_positive(owner, "weight_decay", weight_decay, allow_zero=True)
        self.decoupled_weight_decay = check_flag(owner, "decoupled_weight_decay", decoupled_weight_decay)
        self._scratch = Scratch()

    def decayed_gradient(self, param: Array, grad: Array) -> Array:
        """Apply the weight decay: shrink ``param`` by ``1 - lr * weight_decay`` and return ``grad``
        (decoupled, as AdamW), or return ``grad + weight_decay * param`` (the L2 term; scratch slot 1)."""
        if self.weight_decay != 0 and self.decoupled_weight_decay:
            mul_(param, 1 - self.learning_rate * self.weight_decay)
            return grad
        return coupled_decay(param, grad, self.weight_decay, self._scratch.get(param, 1))

    def update_first_moment(self, param: Array, g: Array, state: dict[str, Array]) -> tuple[Array, Array]:
        """``m.lerp_(g, 1 - beta1)``; returns ``(m, work)``, ``work`` a free scratch array like ``param`` (slot 0)."""
        exp_avg = state_array(type(self).__name__, state, "exp_avg", param)
        work = self._scratch.get(param, 0)
        lerp_(exp_avg, g, 1 - self.betas[0], work)
        return exp_avg, work

    def update_moments(self, param: Array, g: Array, state: dict[str, Array]) -> tuple[Array, Array, Array]:
        """``m.lerp_(g, 1 - beta1)`` and ``v.mul_(beta2).addcmul_(g, g, 1 - beta2)``; returns ``(m, v, work)``
        with ``work`` a free scratch array shaped like ``param`` (slot 0)."""
        beta2 = self.betas[1]
        exp_avg, work = self.update_first_moment(param, g, state)
        exp_avg_sq = state_array(type(self).__name__, state, "exp_avg_sq", param)
        mul_(exp_avg_sq, beta2)
        addcmul_(exp_avg_sq, g, g, 1 - beta2, work)
        return exp_avg, exp_avg_sq, work
