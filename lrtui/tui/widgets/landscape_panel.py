"""The loss landscape of a 2-D loss as coloured contour bands, with every run's path on top."""

from __future__ import annotations

import os

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from lrtui.tui.palette import rich_run_color

BAND_COLORS = ("#0b1d3a", "#12325c", "#1b4d7a", "#236a8c", "#2f8891", "#4aa38a", "#7bbd76", "#b8d35c", "#f0e34a")
BAND_GLYPHS = " .:-=+*#%"
TRAIL_POINTS = 400


def band_levels(values: np.ndarray, bands: int) -> np.ndarray:
    """Band index per cell, equal-count bands of log loss so every landscape shows structure."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(values.shape, dtype=int)
    shifted = np.log10(values - finite.min() + 1e-12 * max(1.0, abs(finite.max())) + 1e-300)
    edges = np.quantile(shifted[np.isfinite(shifted)], np.linspace(0, 1, bands + 1)[1:-1])
    return np.digitize(np.where(np.isfinite(shifted), shifted, np.inf), edges)


class LandscapePanel(Widget):
    """Contour map of the loss over its window; trajectories, current points (●) and minima (★)."""

    DEFAULT_CSS = "LandscapePanel { width: 1fr; height: 1fr; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._session = None
        self._cache_key = None
        self._bands = None
        self.ascii_only = False
        self.plain = bool(os.environ.get("NO_COLOR"))

    def redraw(self, session) -> None:
        self._session = session
        self.refresh()

    def _grid_bands(self, loss, width: int, height: int) -> np.ndarray:
        key = (id(loss), width, height)
        if key != self._cache_key:
            w = loss.window
            xs = w.x_min + (np.arange(width) + 0.5) * (w.x_max - w.x_min) / width
            ys = w.y_max - (np.arange(height) + 0.5) * (w.y_max - w.y_min) / height
            gx, gy = np.meshgrid(xs, ys)
            with np.errstate(all="ignore"):
                values = loss.value(np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(height, width)
            self._bands = band_levels(values, len(BAND_COLORS))
            self._cache_key = key
        return self._bands

    def render(self) -> Text:
        session = self._session
        width, height = self.size.width, self.size.height
        if session is None or width < 4 or height < 2:
            return Text("")
        exp = session.experiment
        loss = exp.loss_of(session.focused)
        if loss.window is None or loss.n_params != 2:
            return Text("no 2-D landscape for this loss", style="dim")
        bands = self._grid_bands(loss, width, height)
        cells: dict[tuple[int, int], tuple[str, str]] = {}
        w = loss.window

        def cell_of(point):
            col = int((point[0] - w.x_min) / (w.x_max - w.x_min) * width)
            row = int((w.y_max - point[1]) / (w.y_max - w.y_min) * height)
            return (row, col) if 0 <= col < width and 0 <= row < height else None

        dot, head, star = (".", "@", "X") if self.ascii_only else ("·", "●", "★")
        for run in range(exp.n_runs):
            if exp.loss_of(run) is not loss:
                continue
            sim, local = exp.locate(run)
            _, path = sim.history.params_series(local)
            path = path[np.all(np.isfinite(path), axis=1)]
            color = rich_run_color(run, exp.diverged_at(run) >= 0)
            if len(path) > TRAIL_POINTS:
                path = path[np.linspace(0, len(path) - 1, TRAIL_POINTS).astype(int)]
            for point in path:
                if (c := cell_of(point)) is not None:
                    cells[c] = (dot, color)
            if len(path) and (c := cell_of(path[-1])) is not None:
                cells[c] = (head, color)
        if loss.minima is not None:
            for point in loss.minima:
                if (c := cell_of(point)) is not None:
                    cells[c] = (star, "white")
        text = Text(no_wrap=True, overflow="crop")
        for row in range(height):
            for col in range(width):
                band = int(bands[row, col])
                glyph, color = cells.get((row, col), (None, None))
                if self.plain:
                    text.append(glyph or BAND_GLYPHS[band])
                else:
                    text.append(glyph or " ", Style(color=color, bgcolor=BAND_COLORS[band], bold=glyph is not None))
            if row < height - 1:
                text.append("\n")
        return text
