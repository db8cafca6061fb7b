"""The focused model's decision regions over the input plane, with the training points, as TensorFlow Playground shows.

Each cell is coloured by the class the model predicts at its centre, darker
where the model is unsure, so the boundary shows as a dark seam. Training
points sit on top in their true class's colour: a point on the wrong colour
is one the model gets wrong. The grid is recomputed every few steps while
playing (and at once when stepping by hand), and cached per size.
"""

from __future__ import annotations

import os

import numpy as np
from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from lrtui.text import visible
from lrtui.tui.view import View, as_view
from lrtui.tui.widgets.panel import Panel

REFRESH_STEPS = 5  # while playing, predicting on the grid every step would cost more than the training
CLASS_COLORS = ("#f59322", "#0877bd", "#3fa34d", "#c2399b")  # Playground's orange and blue, then two more
NEUTRAL = (0x22, 0x22, 0x22)  # where the model is unsure the colour fades to this
SHADES = 4  # confidence levels; few enough that cells share a handful of Style objects
POINT_COLORS = ("#ffd08a", "#9fdcff", "#a8f0b0", "#f5a8e0")
REGION_GLYPHS = (".", ":", "-", "=")  # NO_COLOR: the region's class as a texture


def decision_applies(view) -> bool:
    """True when the focused run is a model trained on a 2-D data set (one with a drawing window)."""
    loss = as_view(view).focused.loss_function
    dataset = getattr(loss, "dataset", None)
    return bool(loss.is_model) and dataset is not None and dataset.window is not None and dataset.n_features == 2


def _blend(hex_color: str, weight: float) -> str:
    rgb = [int(hex_color[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(n + weight * (c - n)) for c, n in zip(rgb, NEUTRAL)]
    return "#" + "".join(f"{v:02x}" for v in mixed)


class DecisionPanel(Panel, Widget):
    """Predicted class per cell (colour, or a glyph under NO_COLOR), training points on top."""

    DEFAULT_CSS = "DecisionPanel { width: 1fr; height: 1fr; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._session = None
        self._cache_key = None
        self._cached_step = -1
        self._predicted = None  # (rows, cols) predicted class per cell
        self._confidence = None  # (rows, cols) confidence level 0..SHADES-1
        self._styles: dict[tuple, Style] = {}
        self.ascii_only = False
        self.plain = bool(os.environ.get("NO_COLOR"))

    def applies(self, view) -> bool:
        # Below CROWDED_BELOW rows the side column holds one chart beside the lesson and the diagnostics:
        # for an adaptive optimizer its effective LRs (the lesson of such a run), else the regions.
        from lrtui.tui.widgets.adaptive_panel import CROWDED, adaptive_applies
        from lrtui.tui.widgets.curvature_panel import SHARED_FROM_HEIGHT

        if CROWDED <= view.height < SHARED_FROM_HEIGHT and adaptive_applies(view):
            return False
        return decision_applies(view)

    def redraw(self, view) -> None:
        self._session = view.session  # render reads the runs as they are then, through a view of its own
        self.refresh()

    def _grid(self, view, width: int, height: int):
        session, run_view = view.session, view.focused
        loss = run_view.loss_function
        step = run_view.step
        key = (session.experiment, id(loss), run_view.run, width, height)
        stale = step != self._cached_step and (
            step - self._cached_step >= REFRESH_STEPS or step < self._cached_step or not session.playing
        )
        if key != self._cache_key or stale:
            w = loss.dataset.window
            xs = w.x_min + (np.arange(width) + 0.5) * (w.x_max - w.x_min) / width
            ys = w.y_max - (np.arange(height) + 0.5) * (w.y_max - w.y_min) / height
            gx, gy = np.meshgrid(xs, ys)
            points = np.stack([gx.ravel(), gy.ravel()], axis=1)
            proba = loss.predict_proba(run_view.params, points)[0]
            with np.errstate(all="ignore"):
                chance = 1.0 / loss.n_classes
                sure = (np.nanmax(proba, axis=1) - chance) / (1.0 - chance)
            sure = np.nan_to_num(sure, nan=0.0)
            self._predicted = np.nan_to_num(np.argmax(np.nan_to_num(proba, nan=-1.0), axis=1)).reshape(height, width)
            self._confidence = np.clip((sure * SHADES).astype(int), 0, SHADES - 1).reshape(height, width)
            self._cache_key, self._cached_step = key, step
        return self._predicted, self._confidence

    def _points(self, loss, width: int, height: int) -> dict[tuple[int, int], int]:
        w, data = loss.dataset.window, loss.dataset
        cols = ((data.x_train[:, 0] - w.x_min) / (w.x_max - w.x_min) * width).astype(int)
        rows = ((w.y_max - data.x_train[:, 1]) / (w.y_max - w.y_min) * height).astype(int)
        inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
        return {(int(r), int(c)): int(y) for r, c, y in zip(rows[inside], cols[inside], data.y_train[inside])}

    def render(self) -> Text:
        view = None if self._session is None else View(self._session)
        width, height = self.size.width, self.size.height
        if view is None or width < 2 or height < 1:
            return Text("")
        if not decision_applies(view):
            return Text("decision regions: only for models on 2-D data sets (circles, xor, gaussians, spiral)",
                        style="dim", no_wrap=True, overflow="ellipsis")
        run_view = view.focused
        loss = run_view.loss_function
        title = f"decision regions of {visible(run_view.label)}, step {run_view.step}"
        if run_view.diverged_at >= 0:
            title += " (diverged: no prediction)"
        if self.plain:
            title += "  digits: training points; " + "/".join(REGION_GLYPHS[: loss.n_classes]) + ": predicted class"
        text = Text(no_wrap=True, overflow="crop")
        # Cut where it does not fit with an ellipsis, as the other titles are ("decision regions of batch 8, ste"
        # ended at the window's edge: walkthroughs 13b B2, 16b K12)
        text.append(title if len(title) <= width else title[:max(0, width - 1)] + ("." if self.ascii_only else "…"),
                    "bold")
        rows = height - 1
        if rows < 1:
            return text
        text.append("\n")
        classes, shades = self._grid(view, width, rows)
        points = self._points(loss, width, rows)
        for row in range(rows):
            self._append_row(text, classes[row], shades[row], [points.get((row, col)) for col in range(width)])
            if row < rows - 1:
                text.append("\n")
        return text

    def _append_row(self, text: Text, classes, shades, points) -> None:
        """One row of cells; neighbours with the same look are appended as one span."""
        dot = "o" if self.ascii_only else "●"
        run_glyphs, run_style = [], None
        for label, shade, point in zip(classes.tolist(), shades.tolist(), points):
            label %= len(CLASS_COLORS)
            if self.plain:
                run_glyphs.append(str(point) if point is not None else REGION_GLYPHS[label % len(REGION_GLYPHS)])
                continue
            style = self._style(label, shade, point)
            if style is not run_style and run_glyphs:
                text.append("".join(run_glyphs), run_style)
                run_glyphs = []
            run_style = style
            run_glyphs.append(" " if point is None else dot)
        if run_glyphs:
            text.append("".join(run_glyphs), run_style)

    def _style(self, label: int, shade: int, point: int | None) -> Style:
        key = (label, shade, point)
        style = self._styles.get(key)
        if style is None:
            background = _blend(CLASS_COLORS[label], (shade + 1) / SHADES)
            color = None if point is None else POINT_COLORS[point % len(POINT_COLORS)]
            style = self._styles[key] = Style(bgcolor=background, color=color, bold=point is not None)
        return style
