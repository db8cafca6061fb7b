"""The loss landscape of a 2-D loss as coloured contour bands, with every run's path on top.

Each run's path is kept as the set of cells it has visited, updated from the
steps taken since the last frame (History.params_series(since=...)), so a frame
costs the same at step 100 and at step 1,000,000. Rows are drawn as segments, one per
stretch of equal style, straight to Textual's strips (the Line API).
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.widget import Widget

from lrtui.tui.palette import DIVERGED, app_palette
from lrtui.tui.widgets.chart import cell_count, rows_as_text
from lrtui.tui.widgets.curvature_panel import curvature_applies
from lrtui.tui.view import View
from lrtui.tui.widgets.panel import Panel

BAND_COLORS = ("#0b1d3a", "#12325c", "#1b4d7a", "#236a8c", "#2f8891", "#4aa38a", "#7bbd76", "#b8d35c", "#f0e34a")
BAND_GLYPHS = " .:-=+*#%"
MINIMUM_COLOR = "white"  # on the dark-to-yellow bands, whatever the theme
# rows: from this height the top row is the caption (ranges and marks' key). At 2 the map has one row left, but a map
# without its key showed four unexplained ★ (walkthrough 6: lessons 17 and 19 at 100x30, description open).
CAPTION_FROM_HEIGHT = 2
ZOOM_HINT_BELOW = 12  # rows: under this the caption says that z zooms, where it fits


def band_levels(values: np.ndarray, bands: int) -> np.ndarray:
    """Band index per cell, equal-count bands of log loss so every landscape shows structure."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(values.shape, dtype=int)
    shifted = np.log10(values - finite.min() + 1e-12 * max(1.0, abs(finite.max())) + 1e-300)
    edges = np.quantile(shifted[np.isfinite(shifted)], np.linspace(0, 1, bands + 1)[1:-1])
    return np.digitize(np.where(np.isfinite(shifted), shifted, np.inf), edges)


def cells_of(points: np.ndarray, window, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """(rows, cols) of the points inside the window (truncated toward zero, as int() does)."""
    with np.errstate(all="ignore"):
        cols = np.trunc((points[:, 0] - window.x_min) / (window.x_max - window.x_min) * width)
        rows = np.trunc((window.y_max - points[:, 1]) / (window.y_max - window.y_min) * height)
    inside = (cols >= 0) & (cols < width) & (rows >= 0) & (rows < height)
    return rows[inside].astype(np.intp), cols[inside].astype(np.intp)


class Trail:
    """The cells one run's path has visited, and the cell of its latest point, for one grid."""

    def __init__(self, key, height: int, width: int):
        self.key, self.since = key, 0
        self.visited = np.zeros((height, width), dtype=bool)
        self.head: tuple[int, int] | None = None
        self.has_point = False

    def update(self, history, window) -> None:
        """Add the cells of the steps recorded since the last update (`history`: a run view's RunHistory)."""
        _, path = history.params_series(since=self.since)
        self.since = history.steps_recorded
        path = path[np.all(np.isfinite(path), axis=1)]
        if not len(path):
            return
        height, width = self.visited.shape
        rows, cols = cells_of(path, window, width, height)
        self.visited[rows, cols] = True
        last_rows, last_cols = cells_of(path[-1:], window, width, height)
        self.head = (int(last_rows[0]), int(last_cols[0])) if len(last_rows) else None
        self.has_point = True


class LandscapePanel(Panel, Widget):
    """Contour map of the loss over its window; trajectories, current points (●) and minima (★)."""

    DEFAULT_CSS = "LandscapePanel { width: 1fr; height: 1fr; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._session = None
        self._cache_key = None
        self._bands = None
        self._trails: dict[int, Trail] = {}
        self._styles: dict[tuple, Style] = {}
        self.ascii_only = False
        self.plain: bool | None = None  # None: follow the app's NO_COLOR
        self._rows_key = None
        self._rows_cache: list = []
        self._bold, self._null = Style(bold=True), Style()

    def applies(self, view) -> bool:
        return not curvature_applies(view)

    def redraw(self, view) -> None:
        self._session = view.session  # render reads the runs as they are then, through a view of its own
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

    def _trail(self, history, run: int, loss, width: int, height: int) -> Trail:
        key = (id(loss), history.source, width, height)
        trail = self._trails.get(run)
        if trail is None or trail.key != key:
            trail = self._trails[run] = Trail(key, height, width)
            trail.history = history  # holds the history read, so that its identity (its source) stays its own
        trail.update(history, loss.window)
        return trail

    def _style(self, color, band: int, bold: bool) -> Style:
        key = (color, band, bold)
        if key not in self._styles:
            self._styles[key] = Style(color=color, bgcolor=BAND_COLORS[band], bold=bold)
        return self._styles[key]

    def _rows(self) -> list[list[Segment]]:
        """The panel as rows of segments, rebuilt when the runs moved, or the size, theme or mode changed."""
        session = self._session
        width, height = self.size.width, self.size.height
        if session is None or width < 4 or height < 2:
            return []
        exp = session.experiment
        palette = app_palette(self.app, self.ascii_only)
        plain = palette.no_color if self.plain is None else self.plain
        # render_line asks for every row: the key needs no view of the runs, so an unchanged panel reads none.
        key = (exp, exp.revision, session.focused, width, height, self.app.theme, plain, self.ascii_only)
        if key == self._rows_key:
            return self._rows_cache
        view = View(session)
        loss = view.focused.loss_function
        if loss.window is None or loss.n_params != 2:
            return [[Segment("no 2-D landscape for this loss"[:width], Style(dim=True))]]
        captioned, hinted = height >= CAPTION_FROM_HEIGHT, height < ZOOM_HINT_BELOW
        if captioned:  # the axis ranges and what the marks mean, on the top row (written below)
            height -= 1
        off: list[int] = []  # runs whose latest point is off the map
        bands = self._grid_bands(loss, width, height)
        # Per cell: 0 = nothing drawn, else an index into `marks` of (glyph, colour, bold).
        marks: list[tuple[str, str | None, bool]] = [(" ", None, False)]
        cell_mark = np.zeros((height, width), dtype=np.intp)
        dot, head, star = (".", "@", "X") if self.ascii_only else ("·", "●", "★")
        heads: list[tuple] = []  # (cell, mark) of each run's current point, drawn last
        for run in range(exp.n_runs):
            run_view = view.run(run)
            if run_view.loss_function is not loss:
                continue
            trail = self._trail(run_view.history, run, loss, width, height)
            color = palette.rich(DIVERGED if run_view.diverged_at >= 0 else run)
            # Without colour the trail is the run's number, so paths stay apart (the status line lists runs in order).
            marks.append((str(run % 10) if plain else dot, color, False))
            cell_mark[trail.visited] = len(marks) - 1
            if trail.head is not None:
                marks.append((head, color, True))
                heads.append((trail.head, len(marks) - 1))
            elif trail.has_point:
                off.append(run)
        if loss.minima is not None:
            marks.append((star, MINIMUM_COLOR, True))
            rows, cols = cells_of(np.asarray(loss.minima, dtype=np.float64).reshape(-1, 2), loss.window, width, height)
            cell_mark[rows, cols] = len(marks) - 1
        for cell, mark in heads:  # where a run is now, over a minimum it reached: at 80x24 lesson 16's two runs
            cell_mark[cell] = mark  # sat under the star, and no ● was left (walkthrough 15b, G5)
        glyphs = np.array([m[0] for m in marks])
        band_glyphs = np.array(list(BAND_GLYPHS))
        out = []
        for row in range(height):
            drawn = cell_mark[row]
            chars = np.where(drawn > 0, glyphs[drawn], band_glyphs[bands[row]] if plain else " ").tolist()
            # One segment per stretch of cells with the same band and mark.
            code = drawn if plain else bands[row] * len(marks) + drawn
            starts = np.flatnonzero(np.r_[True, code[1:] != code[:-1]]).tolist()
            segments = []
            for start, end in zip(starts, starts[1:] + [width]):
                _, color, bold = marks[drawn[start]]
                style = (self._bold if bold else self._null) if plain else self._style(color, int(bands[row, start]), bold)
                segments.append(Segment("".join(chars[start:end]), style))
            out.append(segments)
        if captioned:
            caption = self._caption(loss.window, hinted, off)
            out = [[Segment(caption[:width].ljust(width), Style(dim=True))]] + out
        self._rows_key, self._rows_cache = key, out
        return out

    def _caption(self, w, hint: bool = False, off: list[int] | None = None) -> str:
        """The window's ranges and the marks' key; in a narrow panel the key keeps its words longer than the ranges
        (walkthrough 4: "path" was cut off at 100x30). Runs `off` the map are named first: lesson 16's diverged SGD
        run had simply gone (walkthrough 16b, K8)."""
        star, head, dot = ("X", "@", ".") if self.ascii_only else ("★", "●", "·")
        keys, tight = f"{star} min {head} now {dot} path", f"{star}min {head}now {dot}path"
        x, y = f"{w.x_min:g}..{w.x_max:g}", f"{w.y_min:g}..{w.y_max:g}"
        ranges = f"x,y {x}" if x == y else f"x {x} y {y}"
        forms = [f"x {x}, y {y}  {keys}", f"{ranges} {keys}", f"{ranges} {tight}", tight]
        if hint and self.screen.maximized is not self:  # a small map: say how to see it large, where that fits
            forms = [f"{form}  z: zoom" for form in forms[:2]] + forms  # never at the cost of the key's spaces
        if off:
            who = f"run {off[0]}" if len(off) == 1 else f"runs {', '.join(map(str, off))}"
            # (at 80x24 every form with "off the map" was too wide, and the path just stopped: walkthrough 17a, L10)
            forms = ([f"{who} off the map; {form}" for form in forms]
                     + [f"{who} off map; {tight}", f"{who} off the map"] + forms)
        width = self.size.width
        return next((form for form in forms if not width or len(form) <= width), forms[-1])

    def render_line(self, y: int) -> Strip:
        rows = self._rows()
        strip = Strip(rows[y], cell_count(rows[y])) if y < len(rows) else Strip.blank(self.size.width, self._null)
        return strip.crop_extend(0, self.size.width, self._null)

    def render(self) -> Text:
        """The panel as Rich Text (what render_line draws), for tests."""
        return rows_as_text(self._rows(), Text(no_wrap=True, overflow="crop"))
