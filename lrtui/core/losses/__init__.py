"""Loss registry: every loss a scenario can name, by its `type`.

A loss's module is imported the first time its name is looked up, so `lrtui run` of a 2-D landscape does not
pay for the formula parser or the data models.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from lrtui.core.losses.base import Loss, Window, as_batch
from lrtui.core.registry import lookup

_WHERE = {  # name -> (module, class), in the order the docs list them
    "quadratic": ("quadratic", "Quadratic"),
    "rosenbrock": ("functions2d", "Rosenbrock"),
    "beale": ("functions2d", "Beale"),
    "himmelblau": ("functions2d", "Himmelblau"),
    "rastrigin": ("functions2d", "Rastrigin"),
    "six_hump_camel": ("functions2d", "SixHumpCamel"),
    "saddle": ("functions2d", "Saddle"),
    "ackley": ("functions2d", "Ackley"),
    "expression": ("expression", "ExpressionLoss"),
    "logistic_regression": ("models", "LogisticRegression"),
    "mlp": ("models", "MLP"),
}


class _Registry(Mapping[str, type[Loss]]):
    """name -> loss class, importing each class's module when first asked for."""

    def __getitem__(self, name) -> type[Loss]:
        module, cls = _WHERE[name]
        return getattr(importlib.import_module(f"lrtui.core.losses.{module}"), cls)

    def __contains__(self, name) -> bool:
        return isinstance(name, str) and name in _WHERE

    def __iter__(self) -> Iterator[str]:
        return iter(_WHERE)

    def __len__(self) -> int:
        return len(_WHERE)


LOSSES: Mapping[str, type[Loss]] = _Registry()


def build_loss(name: str, **params) -> Loss:
    """Construct a loss by registry name; unknown names get a did-you-mean."""
    return lookup(LOSSES, name, "loss")(**params)


def stack_losses(losses: list[Loss]) -> Loss | None:
    """One loss for runs of several losses of one kind and shape (see lrtui.core.losses.stacked), or None."""
    from lrtui.core.losses.stacked import stack_losses as stack

    return stack(losses)


__all__ = ["LOSSES", "Loss", "Window", "as_batch", "build_loss", "stack_losses"]
