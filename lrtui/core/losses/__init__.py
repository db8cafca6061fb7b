"""Loss registry: every loss a scenario can name, by its `type`."""

from __future__ import annotations

import difflib

from lrtui.core.losses.base import Loss, Window, as_batch
from lrtui.core.losses.expression import ExpressionLoss
from lrtui.core.losses.functions2d import Ackley, Beale, Himmelblau, Rastrigin, Rosenbrock, Saddle, SixHumpCamel
from lrtui.core.losses.models import MLP, LogisticRegression
from lrtui.core.losses.quadratic import Quadratic

LOSSES: dict[str, type[Loss]] = {
    cls.name: cls
    for cls in (
        Quadratic, Rosenbrock, Beale, Himmelblau, Rastrigin, SixHumpCamel, Saddle, Ackley,
        ExpressionLoss, LogisticRegression, MLP,
    )
}


def build_loss(name: str, **params) -> Loss:
    """Construct a loss by registry name; unknown names get a did-you-mean."""
    try:
        cls = LOSSES[name]
    except KeyError:
        close = difflib.get_close_matches(str(name), LOSSES, n=1)
        hint = f'; did you mean "{close[0]}"?' if close else ""
        raise ValueError(f'unknown loss "{name}"{hint} (choose one of: {", ".join(LOSSES)})') from None
    return cls(**params)


__all__ = ["LOSSES", "Loss", "Window", "as_batch", "build_loss"]
