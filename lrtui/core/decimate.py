"""Reducing a long series to what a plot of a given width can show.

Each screen column keeps the min and the max of the values that fall in it,
so a spike or a divergence is never lost, and drawing costs the same at step
100 and at step 1,000,000.
"""

from __future__ import annotations

import numpy as np


def min_max_columns(x: np.ndarray, low: np.ndarray, high: np.ndarray, columns: int,
                    x_range: tuple[float, float] | None = None):
    """Per-column (x, min, max) for points at sorted x with extents [low, high].

    Returns three arrays of at most `columns` entries; columns with no data
    (or only non-finite values) are dropped.
    """
    x = np.asarray(x, dtype=np.float64)
    low = np.asarray(low, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)
    columns = max(1, int(columns))
    if x.size == 0:
        empty = np.empty(0)
        return empty, empty, empty
    if x.size <= columns:
        keep = np.isfinite(low) | np.isfinite(high)
        return x[keep], low[keep], high[keep]
    x0, x1 = (float(x[0]), float(x[-1])) if x_range is None else x_range
    span = max(x1 - x0, 1e-300)
    # x is sorted (steps), so each column is a contiguous slice: reduceat is one pass.
    edges = x0 + np.arange(columns) * span / columns
    starts = np.searchsorted(x, edges, side="left")
    present = np.r_[starts[1:], x.size] > starts
    starts = starts[present]
    with np.errstate(all="ignore"):
        lo = np.minimum.reduceat(np.where(np.isfinite(low), low, np.inf), starts)
        hi = np.maximum.reduceat(np.where(np.isfinite(high), high, -np.inf), starts)
    centers = (edges + 0.5 * span / columns)[present]
    keep = np.isfinite(lo) & np.isfinite(hi)
    return centers[keep], lo[keep], hi[keep]


def as_line(x: np.ndarray, low: np.ndarray, high: np.ndarray):
    """Interleave each column's min and max into one zig-zag line a plot can draw."""
    xs = np.repeat(x, 2)
    ys = np.empty(2 * len(x))
    ys[0::2], ys[1::2] = low, high
    return xs, ys
