"""Our one plotting widget: every line chart in the app is drawn through it.

Panels describe what to draw (lines, markers, tick labels); only this file
knows about plotext, so the backend can be swapped in one place. Log scale is
done here by plotting log10 of the values with our own tick labels, because
plotext 5's yscale("log") rewrites the data in place and breaks on redraw.

Colours in a Picture are roles (a run number, "diverged", "muted", a theme
variable) resolved by the PlotPalette when the canvas is built, so a theme
switch recolours the plot without the panel redrawing. The canvas is built
only when the picture, the size or the theme changed. plotext builds the frame,
ticks and legend; the lines themselves are rasterized in NumPy exactly as
plotext would (rasterize_lines; a test compares the two), because plotext's
per-pixel Python was most of a frame. With --ascii the canvas keeps to ASCII:
plotext's box-drawing frame and ticks are translated.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import plotext._dict as plotext_dict
import plotext._utility as plotext_utility
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual_plotext import PlotextPlot

from lrtui.core.decimate import rasterize_lines
from lrtui.text import visible
from lrtui.tui.palette import PlotPalette, app_palette

LEGACY_MUTED = ("gray", "grey")
# plotext draws its frame, ticks and vertical lines with box-drawing characters: one ASCII cell for each.
ASCII_CELLS = str.maketrans({"─": "-", "│": "|", "┼": "+", "┬": "+", "┴": "+", "├": "+", "┤": "+", "└": "+",
                             "┘": "+", "┌": "+", "┐": "+", "•": "*", "⅃": "J", "Γ": "r", "⅂": "7", "█": "#"})
ASCII_TEXT = str.maketrans({"√": "sqrt", "̂": "", "·": ".", "≤": "<=", "≥": ">=", "→": "->", "λ": "lambda",
                            "η": "eta", "×": "x", "≈": "~", "…": "..."})
_styles: dict[tuple, Style] = {}
BRAILLE = [plotext_dict.braille_codes[tuple((mask >> j) & 1 for j in range(8))] for mask in range(256)]
BLANK = Style()  # not None: Textual's NO_COLOR filter reads every segment's style
# Characters one cell wide: a row made only of these is as wide as it is long (Strip need not measure it).
NARROW = re.compile("[^\x20-\x7e\u2500-\u257f\u2800-\u28ff\u2022\u2143\u0393\u2142\u2588\u00b7\u25cf\u2605]")


def cell_count(segments: list[Segment]) -> int | None:
    text = "".join(segment.text for segment in segments)
    return None if NARROW.search(text) else len(text)


def cell_style(fullground, style, background) -> Style:
    """The Rich style of a plotext cell's colours (decoded once from the ANSI plotext would write)."""
    key = (fullground, style, background)
    if key not in _styles:
        ansi = plotext_utility.colors_to_ansi(fullground, style, background)
        decoded = Text.from_ansi(ansi + "x")
        _styles[key] = decoded.spans[0].style if decoded.spans else Style()
    return _styles[key]


@dataclass
class Line:
    x: np.ndarray
    y: np.ndarray
    color: object = 0  # a colour role, see the module docstring
    label: str | None = None
    marker: str | None = None


@dataclass
class Picture:
    lines: list[Line] = field(default_factory=list)
    vlines: list[tuple[float, object]] = field(default_factory=list)
    title: str = ""
    log_y: bool = False
    x_range: tuple[float, float] | None = None
    log_x: bool = False  # x holds log10 values already: label the ticks as decades (1e-3, ...)
    message: str = ""  # shown instead of a plot when there is nothing to draw


def log_ticks(low: float, high: float) -> tuple[list[float], list[str]]:
    """Decade ticks (in log10 units) with labels like 1e-3 for a log axis."""
    lo, hi = math.floor(low), math.ceil(high)
    step = max(1, (hi - lo) // 5)
    ticks = list(range(lo, hi + 1, step))
    return [float(t) for t in ticks], [f"1e{t}" if t not in (0, 1) else ("1" if t == 0 else "10") for t in ticks]


def rows_as_text(rows: list[list[Segment]], text: Text) -> Text:
    """Rows of segments appended to `text`, one line each: what render_line draws, as Rich Text."""
    for i, segments in enumerate(rows):
        if i:
            text.append("\n")
        for segment in segments:
            text.append(segment.text, segment.style)
    return text


def to_ascii(text: str) -> str:
    """Box-drawing, bullet and other non-ASCII glyphs replaced by ASCII look-alikes ('?' for the rest)."""
    text = text.translate(ASCII_TEXT).translate(ASCII_CELLS)
    return text if text.isascii() else "".join(c if c.isascii() else "?" for c in text)


def ascii_cells(text: str) -> str:
    """to_ascii, one character for one: for a row of canvas cells."""
    text = text.translate(ASCII_CELLS)
    return text if text.isascii() else "".join(c if c.isascii() else "?" for c in text)


class Chart(PlotextPlot):
    """A line chart fed with a Picture; call `show(picture)` then it redraws."""

    ascii_only: bool = False
    fast_lines: bool = True  # False: plotext draws the lines itself (the reference _paint must match)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.picture: Picture | None = None
        self._input_key = None
        self._palette_key = None
        self._palette = PlotPalette()
        self._built_key = None
        self._built: list | None = None
        self._strips: dict[int, Strip] = {}
        self._pending: list | None = None
        self.builds = 0  # canvases built: a redraw with nothing new builds none

    @property
    def palette(self) -> PlotPalette:
        """The palette of the current theme, NO_COLOR and --ascii, rebuilt when one of them changes."""
        try:
            app = self.app
        except Exception:  # not mounted: the default theme
            return self._palette
        key = (app.theme, bool(getattr(app, "no_color", False)), self.ascii_only)
        if key != self._palette_key:
            self._palette, self._palette_key = app_palette(app, self.ascii_only), key
        return self._palette

    def unchanged(self, key) -> bool:
        """True when `key` (what the picture depends on) is what it was at the last show: skip the redraw."""
        if key is not None and key == self._input_key and self.picture is not None:
            return True
        self._input_key = key
        return False

    def show(self, picture: Picture) -> None:
        self.picture = picture
        self._built_key = None
        self.refresh()

    def resolve(self, color):
        if isinstance(color, str) and color in LEGACY_MUTED:
            color = "muted"
        if isinstance(color, (int, np.integer)) or (isinstance(color, str) and (
                color in ("diverged", "muted") or color in self.palette.variables)):
            return self.palette.color(int(color) if isinstance(color, (int, np.integer)) else color)
        return "default" if self.palette.no_color else color

    def _rows(self) -> list[list[Segment]]:
        """The canvas as rows of segments, rebuilt only when the picture, size, theme or mode changed.

        plotext's character matrix is turned into segments directly: writing it out as ANSI
        and parsing that back (what PlotextPlot.render does) cost as much as building it.
        """
        palette = self.palette
        width, height = self.size.width, self.size.height
        key = (id(self.picture), width, height, self._palette_key, self.ascii_only)
        if key != self._built_key or self._built is None:
            self._draw(self.picture or Picture(message=" "))
            plot = self._plot
            plot.plotsize(width, height)
            plot._set_size(width, height)
            plot.theme(self._get_plotext_theme_name(self.app.theme))
            plot._set_sizes()
            plot._build_matrix()
            matrix = plot.monitor.matrix
            self._paint(plot.monitor, matrix)
            ascii_only = self.ascii_only or palette.ascii_only
            rows = []
            for row in matrix.Rows[::-1]:
                markers, colors = matrix.marker[row], list(zip(matrix.fullground[row], matrix.style[row],
                                                               matrix.background[row]))
                segments, start = [], 0
                for col in range(1, len(markers) + 1):
                    if col == len(markers) or colors[col] != colors[start]:
                        text = "".join(markers[start:col])
                        segments.append(Segment(ascii_cells(text) if ascii_only else text, cell_style(*colors[start])))
                        start = col
                rows.append(segments)
            self._built, self._built_key = rows, key
            self._strips = {}
            self.builds += 1
        return self._built

    def render_line(self, y: int) -> Strip:
        rows = self._rows()
        width = self.size.width
        if y not in self._strips:
            strip = Strip(rows[y], cell_count(rows[y])) if y < len(rows) else Strip.blank(width, BLANK)
            self._strips[y] = strip.crop_extend(0, width, BLANK)
        return self._strips[y]

    def render(self) -> Text:
        """The canvas as Rich Text (what render_line draws, for tests and exports)."""
        return rows_as_text(self._rows(), Text())

    def _draw(self, picture: Picture) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(to_ascii(picture.title) if self.ascii_only else picture.title)
        marker = "dot" if self.ascii_only else "braille"
        if picture.message or not picture.lines:
            plt.text(picture.message or "no data yet", 0.5, 0.5, alignment="center")
            plt.xlim(0, 1)
            plt.ylim(0, 1)
            plt.xticks([], [])
            plt.yticks([], [])
            return
        low, high = math.inf, -math.inf
        shown = []
        # plotext pins its legend to the top left, where curves start; when it would fill more than
        # a third of the plot it hides them, so it is left out (the status line names the runs instead).
        labels = sum(1 for line in picture.lines if line.label)
        with_legend = labels <= max(1, (self.size.height - 4) // 3)
        for line in picture.lines:
            y = np.asarray(line.y, dtype=np.float64)
            if picture.log_y:
                with np.errstate(all="ignore"):
                    y = np.log10(np.where(y > 0, y, np.nan))
            keep = np.isfinite(y)
            if not keep.any():
                continue
            x, y = np.asarray(line.x, dtype=np.float64)[keep], y[keep]
            low, high = min(low, float(y.min())), max(high, float(y.max()))
            shown.append((line, x, y))
        ylim = None
        if picture.log_y and math.isfinite(low):
            ticks, labels = log_ticks(low, high)
            plt.yticks(ticks, labels)
            # Pin the axis to whole decades so the tick labels sit where they say.
            ylim = (ticks[0], max(ticks[-1], ticks[0] + 1))
        elif math.isfinite(low) and high > low:
            ylim = (low, high)
        xlim = None
        if picture.x_range is not None and picture.x_range[1] > picture.x_range[0]:
            xlim = picture.x_range
        # With both limits pinned, plotext gets one point per line (for its legend and colours) and
        # _paint rasterizes the lines in NumPy, exactly as plotext would, after the frame is built.
        self._pending = [] if self.fast_lines and xlim is not None and ylim is not None else None
        monitor = plt.monitor
        for line, x, y in shown:
            color, line_marker = self.resolve(line.color), line.marker or marker
            if self._pending is not None:
                # plotext's own checks give the marker, colour and style it would have drawn with.
                self._pending.append((x, y, monitor.check_marker(line_marker), monitor.check_color(color),
                                      monitor.check_style(None)))
                if line.label is None and len(self._pending) > 1:
                    continue
                x, y = x[:1], y[:1]  # for the legend and the axes, drawn over by the line itself
            label = visible(line.label) if with_legend and line.label else None  # labels come from files
            plt.plot(x.tolist(), y.tolist(), color=color, label=label, marker=line_marker)
        for x, color in picture.vlines:
            plt.vline(float(x), self.resolve(color))
        if xlim is not None:
            plt.xlim(*xlim)
            if picture.log_x:
                ticks, labels = log_ticks(*xlim)
                inside = [(t, label) for t, label in zip(ticks, labels) if xlim[0] <= t <= xlim[1]]
                if len(inside) >= 2:
                    plt.xticks([t for t, _ in inside], [label for _, label in inside])
        if ylim is not None:
            plt.ylim(*ylim)

    def _paint(self, monitor, matrix) -> None:
        """Draw the pending lines into plotext's matrix as its build_plot would (see rasterize_lines).

        plotext's legend is drawn after the data, so its cells are left as they are.
        """
        cols, rows = matrix.Cols_canvas, matrix.Rows_canvas
        width, height = len(cols), len(rows)
        if not self._pending or width <= 0 or height <= 0:
            return
        (x0, x1), (y0, y1) = monitor.xlim[0], monitor.ylim[0]
        labels = [f" {label} " for label in monitor.label if label is not None]
        legend = (0, 0)
        if labels and width >= 3 + max(map(len, labels)) and height >= len(labels):
            legend = (len(labels), 3 + max(map(len, labels)))
        pixels, braille = [], []
        for x, y, marker, _, _ in self._pending:
            braille.append(marker == "braille")
            xf, yf = (2, 4) if braille[-1] else (1, 1)
            with np.errstate(all="ignore"):
                pixels.append((np.floor(np.round(0.5 + (width * xf - 1) * (x - x0) / (x1 - x0), 8)),
                               np.floor(np.round(0.5 + (height * yf - 1) * (y - y0) / (y1 - y0), 8))))
        lines, cx, cy, masks = rasterize_lines(pixels, braille, width, height)
        shown = ~((cy >= height - legend[0]) & (cx < legend[1]))
        for s, c, r, mask in zip(*(a[shown].tolist() for a in (lines, cx, cy, masks))):
            _, _, marker, color, style = self._pending[s]
            glyph = BRAILLE[mask] if mask else marker
            row, col = rows.start + r, cols.start + c
            matrix.marker[row][col], matrix.fullground[row][col], matrix.style[row][col] = glyph, color, style
