"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from typing import Any

from nnfs_optim.adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter, 2019) with the update rule of ``torch.optim.AdamW``.

    Adam whose weight decay shrinks the weights directly instead of going through the gradient (and so
    through the adaptive denominator):

    $$
    p \leftarrow p \, (1 - \eta \lambda),
    \quad \text{then the step of } \texttt{Adam} \text{ on the undecayed gradient.}
    $$

    Here $\eta$ is ``learning_rate`` and $\lambda$ ``weight_decay``.

    Parameters are Adam's, with torch's AdamW default ``weight_decay=1e-2``.
    """

    def __init__(
        self,
        learning_rate: float = 1e-3,
        *,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        param_groups: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(
            learning_rate,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            decoupled_weight_decay=True,
            clip_norm=clip_norm,
            clip_value=clip_value,
            param_groups=param_groups,
        )
