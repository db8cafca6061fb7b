"""Our one plotting widget: every line chart in the app is drawn through it.

Panels describe what to draw (lines, markers, tick labels); only this file
knows about plotext, so the backend can be swapped in one place. Log scale is
done here by plotting log10 of the values with our own tick labels, because
plotext 5's yscale("log") rewrites the data in place and breaks on redraw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from textual_plotext import PlotextPlot


@dataclass
class Line:
    x: np.ndarray
    y: np.ndarray
    color: object = "cyan"
    label: str | None = None
    marker: str | None = None


@dataclass
class Picture:
    lines: list[Line] = field(default_factory=list)
    vlines: list[tuple[float, object]] = field(default_factory=list)
    title: str = ""
    log_y: bool = False
    x_range: tuple[float, float] | None = None
    message: str = ""  # shown instead of a plot when there is nothing to draw


def log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Decade ticks (in log10 units) with labels like 1e-3 for a log axis."""
    lo, hi = math.floor(low), math.ceil(high)
    step = max(1, (hi - lo) // 5)
    ticks = list(range(lo, hi + 1, step))
    return [float(t) for t in ticks], [f"1e{t}" if t not in (0, 1) else ("1" if t == 0 else "10") for t in ticks]


class Chart(PlotextPlot):
    """A line chart fed with a Picture; call `show(picture)` then it redraws."""

    ascii_only: bool = False

    def show(self, picture: Picture) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(picture.title)
        marker = "dot" if self.ascii_only else "braille"
        if picture.message or not picture.lines:
            plt.text(picture.message or "no data yet", 0.5, 0.5, alignment="center")
            plt.xlim(0, 1)
            plt.ylim(0, 1)
            plt.xticks([], [])
            plt.yticks([], [])
            self.refresh()
            return
        low, high = math.inf, -math.inf
        for line in picture.lines:
            y = line.y
            if picture.log_y:
                with np.errstate(all="ignore"):
                    y = np.log10(np.where(y > 0, y, np.nan))
            keep = np.isfinite(y)
            if not keep.any():
                continue
            x, y = line.x[keep], y[keep]
            low, high = min(low, float(y.min())), max(high, float(y.max()))
            plt.plot(x.tolist(), y.tolist(), color=line.color, label=line.label, marker=line.marker or marker)
        for x, color in picture.vlines:
            plt.vline(float(x), color)
        if picture.x_range is not None and picture.x_range[1] > picture.x_range[0]:
            plt.xlim(*picture.x_range)
        if picture.log_y and math.isfinite(low):
            ticks, labels = log_ticks(low, high)
            plt.yticks(ticks, labels)
            # Pin the axis to whole decades so the tick labels sit where they say.
            plt.ylim(ticks[0], max(ticks[-1], ticks[0] + 1))
        self.refresh()
