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
    """Interleave each column's min and max into one zig-zag line a plot can draw (one point where they agree)."""
    xs = np.repeat(x, 2)
    ys = np.empty(2 * len(x))
    ys[0::2], ys[1::2] = low, high
    keep = np.ones(2 * len(x), dtype=bool)
    keep[1::2] = np.asarray(high) != np.asarray(low)
    return xs[keep], ys[keep]


def column_of(x: np.ndarray, columns: int, x_range: tuple[float, float]) -> np.ndarray:
    """The column index of each x, as `min_max_columns` assigns them (outside points go to the end columns)."""
    x0, x1 = x_range
    edges = x0 + np.arange(columns) * max(x1 - x0, 1e-300) / columns
    return np.clip(np.searchsorted(edges, x, side="right") - 1, 0, columns - 1)


def column_centers(columns: int, x_range: tuple[float, float]) -> np.ndarray:
    x0, x1 = x_range
    width = max(x1 - x0, 1e-300) / columns
    return x0 + (np.arange(columns) + 0.5) * width


def reduce_into(lo: np.ndarray, hi: np.ndarray, index: np.ndarray, low: np.ndarray, high: np.ndarray) -> None:
    """lo[c] = min(lo[c], low of the points in column c) and hi likewise, for sorted column indices."""
    if index.size == 0:
        return
    starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
    cols = index[starts]
    with np.errstate(all="ignore"):
        lo[cols] = np.minimum(lo[cols], np.minimum.reduceat(np.where(np.isfinite(low), low, np.inf), starts, axis=0))
        hi[cols] = np.maximum(hi[cols], np.maximum.reduceat(np.where(np.isfinite(high), high, -np.inf), starts, axis=0))


class RunningColumns:
    """`min_max_columns` of a growing history field, updated from the new steps only.

    Min and max are idempotent, so reading a span twice (a history bucket that
    straddles the last step read) changes nothing. Fed from History.envelope(since=...),
    a frame costs the steps taken since the last frame, whatever the length of the run.
    """

    def __init__(self):
        self._source = None
        self._key = None

    def update(self, history, field: str, run: int, columns: int, x_range: tuple[float, float]):
        columns = max(1, int(columns))
        key = (field, run, columns, x_range)
        if history is not self._source or key != self._key:
            self._source, self._key, self._since, self._count = history, key, 0, 0
            self._lo, self._hi = np.full(columns, np.inf), np.full(columns, -np.inf)
            self._raw = [np.empty(0)] * 3
        env = history.envelope(field, run, since=self._since)
        if env.step_end.size:
            x = env.step_end.astype(np.float64)
            reduce_into(self._lo, self._hi, column_of(x, columns, x_range), env.low, env.high)
            self._since = int(env.step_end[-1]) + 1
            self._count += x.size
            if self._count <= columns:  # short series are drawn point by point, as min_max_columns does
                self._raw = [np.concatenate([a, b]) for a, b in zip(self._raw, (x, env.low, env.high))]
        if self._count <= columns:
            x, low, high = self._raw
            keep = np.isfinite(low) | np.isfinite(high)
            return x[keep], low[keep], high[keep]
        keep = np.isfinite(self._lo) & np.isfinite(self._hi)
        return column_centers(columns, x_range)[keep], self._lo[keep], self._hi[keep]


def rasterize_lines(pixels: list[tuple[np.ndarray, np.ndarray]], braille: list[bool], width: int, height: int):
    """Cells lit by several polylines at once, in drawing order: (line, cell column, cell row, dot mask).

    `pixels` holds each line's points in its own pixel units: 2x4 dots per cell for braille
    lines, one per cell otherwise (mask 0). A line lights a cell with the dots of its own
    pixels only, and later lines are listed after earlier ones, so drawing the list in order
    leaves each cell to the last line through it, as plotext does.
    """
    if not pixels:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty, empty
    sizes = np.array([len(px) for px, _ in pixels])
    line = np.repeat(np.arange(len(pixels)), sizes)
    px = np.concatenate([np.asarray(p, dtype=np.float64) for p, _ in pixels])
    py = np.concatenate([np.asarray(q, dtype=np.float64) for _, q in pixels])
    dx, dy = np.diff(px), np.diff(py)
    counts = np.where(line[1:] == line[:-1], np.maximum(np.abs(dx), np.abs(dy)), 0).astype(np.int64)
    segment = np.repeat(np.arange(len(dx)), counts)
    k = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    with np.errstate(all="ignore"):
        sx, sy = dx / np.maximum(counts, 1), dy / np.maximum(counts, 1)
    last = np.cumsum(sizes)[sizes > 0] - 1
    xs = np.r_[np.trunc(px[segment] + k * sx[segment]), px[last]].astype(np.int64)
    ys = np.r_[np.trunc(py[segment] + k * sy[segment]), py[last]].astype(np.int64)
    owner = np.r_[line[segment], line[last]]
    hd = np.asarray(braille, dtype=bool)[owner]
    cx, cy = np.where(hd, xs // 2, xs), np.where(hd, ys // 4, ys)
    inside = (cx >= 0) & (cx < width) & (cy >= 0) & (cy < height)
    xs, ys, cx, cy, owner, hd = xs[inside], ys[inside], cx[inside], cy[inside], owner[inside], hd[inside]
    dots = np.zeros((len(pixels) * height * width, 8), dtype=bool)
    key = (owner * height + cy) * width + cx
    dots[key, np.where(hd, (3 - ys % 4) * 2 + xs % 2, 0)] = True
    masks = np.packbits(dots, axis=1, bitorder="little")[:, 0]
    lit = np.flatnonzero(masks)  # ordered by line, then row, then column
    cells = lit % (height * width)
    braille_line = np.asarray(braille, dtype=bool)[lit // (height * width)]
    return lit // (height * width), cells % width, cells // width, np.where(braille_line, masks[lit], 0)
