"""The loss's floor, when it is known: the documented minimum, on a 2-D landscape its grid minimum, and 0 for
data models, whose losses (cross-entropy, plus an L2 term) are never negative."""

from __future__ import annotations

import numpy as np

GRID = 257  # points per side of the landscape grid a 2-D formula's floor is read from


def known_floor(loss) -> float | None:
    """The lowest value the loss can take, or a lower bound for it (a data model's 0), where one is known; else
    None."""
    if loss.min_value is not None:
        return float(loss.min_value)
    if loss.is_model:
        return 0.0
    window = getattr(loss, "window", None)
    if loss.n_params != 2 or window is None:
        return None
    xs = np.linspace(window.x_min, window.x_max, GRID)
    ys = np.linspace(window.y_min, window.y_max, GRID)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    with np.errstate(all="ignore"):
        values = np.asarray(loss.value(grid), dtype=np.float64)
    finite = values[np.isfinite(values)]
    return float(finite.min()) if finite.size else None


def start_cause(loss, params: np.ndarray, value: float) -> str:
    """Why a run's loss is not finite at step 0, in words: its data, its start, or the loss there."""
    dataset = getattr(loss, "dataset", None)
    if dataset is not None:
        for name in ("x_train", "x_test"):
            points = getattr(dataset, name, None)
            if points is not None and not np.all(np.isfinite(points)):
                return (f"the data set's points are not finite ({dataset.name}: its noise or values overflow), so "
                        "the loss is not either")
    if not np.all(np.isfinite(params)):
        return "the start has a parameter that is not finite"
    return f"the loss is {value} at the start point"
