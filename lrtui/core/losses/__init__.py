"""Loss registry: every loss a scenario can name, by its `type`."""

from __future__ import annotations

from lrtui.core.losses.base import Loss, Window, as_batch
from lrtui.core.losses.expression import ExpressionLoss
from lrtui.core.losses.functions2d import Ackley, Beale, Himmelblau, Rastrigin, Rosenbrock, Saddle, SixHumpCamel
from lrtui.core.losses.models import MLP, LogisticRegression
from lrtui.core.losses.quadratic import Quadratic
from lrtui.core.registry import lookup

LOSSES: dict[str, type[Loss]] = {
    cls.name: cls
    for cls in (
        Quadratic, Rosenbrock, Beale, Himmelblau, Rastrigin, SixHumpCamel, Saddle, Ackley,
        ExpressionLoss, LogisticRegression, MLP,
    )
}


def build_loss(name: str, **params) -> Loss:
    """Construct a loss by registry name; unknown names get a did-you-mean."""
    return lookup(LOSSES, name, "loss")(**params)


__all__ = ["LOSSES", "Loss", "Window", "as_batch", "build_loss"]
