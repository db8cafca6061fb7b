"""A loss the user writes as a formula, with exact gradients and Hessians."""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.expression import ExpressionError, compile_expression
from lrtui.core.losses.base import Loss, Window

DEFAULT_WINDOW = Window(-3.0, 3.0, -3.0, 3.0)


class ExpressionLoss(Loss):
    """f(vars) given as text, e.g. expr="(1.5 - x + x*y)**2 + (y - 1)**2", vars=["x", "y"].

    Parameters are ordered as in `vars`. `minima` and `min_value` are what the
    user states about the formula; they are stored, not computed.
    """

    name = "expression"
    exact_hessian = True

    def __init__(self, expr, vars, start=None, window=None, minima=None, min_value=None):  # noqa: A002
        self.expression = compile_expression(expr, vars)
        self.expr = self.expression.text
        self.variables = self.expression.variables
        self.n_params = n = len(self.variables)
        self.start = np.zeros(n) if start is None else _point("start", start, n)
        self.window = _window(window, n)
        self.minima = None if minima is None else _minima(minima, n)
        self.min_value = None if min_value is None else _finite_number("min_value", min_value)

    def value(self, params, batch=None):
        return self.expression.value(params)

    def value_and_grad(self, params, batch=None):
        return self.expression.value_and_grad(params)

    def hvp(self, params, vectors, batch=None):
        return self.expression.hvp(params, vectors)

    def describe(self) -> str:
        return f"expression {self.expr} over ({', '.join(self.variables)})"


def _finite_number(label: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise ValueError(f"{label} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{label} must be a finite number, got {value!r}")
    return number


def _point(label: str, value, n: int) -> np.ndarray:
    values = list(value) if isinstance(value, (list, tuple, np.ndarray)) else None
    if values is None or len(values) != n:
        raise ValueError(f"{label} must be a list of {n} numbers, one per variable in vars, got {value!r}")
    return np.array([_finite_number(label, v) for v in values], dtype=np.float64)


def _minima(value, n: int) -> np.ndarray:
    rows = list(value) if isinstance(value, (list, tuple, np.ndarray)) else None
    if rows and not isinstance(rows[0], (list, tuple, np.ndarray)):
        rows = [rows]  # one point given without the outer list
    if not rows:
        raise ValueError(f"minima must be a list of points, each a list of {n} numbers, got {value!r}")
    return np.array([_point("minima", row, n) for row in rows])


def _window(value, n: int) -> Window | None:
    if value is None:
        return DEFAULT_WINDOW if n == 2 else None
    if n != 2:
        raise ValueError(f"window is only used to draw 2-variable formulas, and this one has {n}; remove it")
    if isinstance(value, Window):
        value = [value.x_min, value.x_max, value.y_min, value.y_max]
    if not isinstance(value, (list, tuple)) or len(value) != 4:
        raise ValueError(f"window must be [x_min, x_max, y_min, y_max], four numbers, got {value!r}")
    x_min, x_max, y_min, y_max = (_finite_number("window", v) for v in value)
    if not (x_min < x_max and y_min < y_max):
        raise ValueError(f"window must have x_min < x_max and y_min < y_max, got {list(value)!r}")
    return Window(x_min, x_max, y_min, y_max)


__all__ = ["ExpressionError", "ExpressionLoss"]
