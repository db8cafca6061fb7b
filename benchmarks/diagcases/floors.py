"""The floor f* of the contracts, version 2 (clause 1), and what kind of floor it is.

- "known": the loss states its global minimum: quadratics (0), the 2-D test functions' documented minima, a
  formula's `min_value`;
- "grid": a 2-D loss with a landscape window and no stated minimum (a two-variable formula without
  `min_value`; lrtui's `loss.window`, [-3, 3] x [-3, 3] unless the file sets one): the lowest value over a
  257 x 257 grid spanning the window, both ends included. It counts as known (issue 12: "the landscape's grid
  minimum counts as a known floor");
- "zero": data models (logistic regression, MLP): 0, since cross-entropy plus L2 is never negative. This is a
  lower bound, not a minimum the model can reach, so it does NOT count as known (DECISION 15);
- "seen": anything else: min(0, the lowest loss any run simulated for the case reached). Not known.
"""

from __future__ import annotations

import numpy as np

GRID_POINTS = 257
KNOWN_KINDS = ("known", "grid")
MODEL_TYPES = ("logistic_regression", "mlp")


def landscape_floor(loss) -> tuple[float, list[float]]:
    """(lowest finite value, [x, y] where) of the loss over a GRID_POINTS^2 grid spanning loss.window."""
    win = loss.window
    xs = np.linspace(win.x_min, win.x_max, GRID_POINTS)
    ys = np.linspace(win.y_min, win.y_max, GRID_POINTS)
    gx, gy = np.meshgrid(xs, ys, indexing="ij")
    points = np.column_stack([gx.ravel(), gy.ravel()])
    with np.errstate(all="ignore"):
        values = np.asarray(loss.value(points), dtype=float)
    values = np.where(np.isfinite(values), values, np.inf)
    best = int(np.argmin(values))
    return float(values[best]), [float(points[best, 0]), float(points[best, 1])]


def floor_of(case: dict, loss) -> tuple[float | None, str, dict]:
    """(f* or None when it must come from the simulated runs, its kind, evidence). `loss` is lrtui's loss
    object for the case (its values, window and stated minimum are the loss's, not the rules')."""
    kind = case["loss"]["type"]
    if kind == "quadratic":
        return 0.0, "known", {}
    if getattr(loss, "min_value", None) is not None:
        return float(loss.min_value), "known", {}
    if kind in MODEL_TYPES:
        return 0.0, "zero", {}
    if getattr(loss, "n_params", 0) == 2 and getattr(loss, "window", None) is not None:
        value, where = landscape_floor(loss)
        win = loss.window
        return value, "grid", {"grid_floor_at": where, "grid_window": [win.x_min, win.x_max, win.y_min, win.y_max]}
    return None, "seen", {}
