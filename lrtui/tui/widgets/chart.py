"""Our one plotting widget: every line chart in the app is drawn through it.

Panels describe what to draw as a Picture (lines, markers, tick labels) and
lrtui.plotting draws it, the same renderer `lrtui find` and `lrtui diagnose`
use; this widget turns its canvas into Textual strips.

Colours in a Picture are roles (a run number, "diverged", "muted", a theme
variable) resolved by the PlotPalette when the canvas is built, so a theme
switch recolours the plot without the panel redrawing. The canvas is built
only when the picture, the size or the theme changed. With --ascii the canvas
keeps to ASCII: plotext's box-drawing frame and ticks are translated.
"""

from __future__ import annotations

import re

import numpy as np
import plotext._utility as plotext_utility
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual_plotext import PlotextPlot

from lrtui.plotting import Canvas, Line, Picture, ascii_cells, draw, to_ascii  # noqa: F401 (re-exported)
from lrtui.tui.palette import PlotPalette, app_palette

LEGACY_MUTED = ("gray", "grey")
_styles: dict[tuple, Style] = {}
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


def rows_as_text(rows: list[list[Segment]], text: Text) -> Text:
    """Rows of segments appended to `text`, one line each: what render_line draws, as Rich Text."""
    for i, segments in enumerate(rows):
        if i:
            text.append("\n")
        for segment in segments:
            text.append(segment.text, segment.style)
    return text


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
        self.canvas: Canvas | None = None
        self.key: list[tuple[str, object]] | None = None  # a title row naming the lines in their colours
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

    def show(self, picture: Picture, key: list[tuple[str, object]] | None = None) -> None:
        """Draw `picture`; `key`, if given, replaces its title row: (text, colour role or None) pieces, so that
        a short stroke in each line's own colour names it (plotext's legend would cover a small plot)."""
        self.picture = picture
        self.key = key or None
        self._built_key = None
        self.refresh()

    def _key_segments(self, title_row: list[tuple[str, tuple]], width: int) -> list[Segment]:
        """The key, centred on the title row, in that row's own colours (each stroke in its line's colour)."""
        fullground, style, background = title_row[0][1] if title_row else ("default", "default", "default")
        plain = cell_style(fullground, style, background)
        pieces = [(to_ascii(text) if self.ascii_only or self.palette.ascii_only else text, role)
                  for text, role in self.key]
        pad = max(0, (width - sum(len(text) for text, _ in pieces)) // 2)
        segments = [Segment(" " * pad, plain)]
        for text, role in pieces:
            colored = role is not None and not self.palette.no_color
            segments.append(Segment(text, cell_style(self.resolve(role), style, background) if colored else plain))
        used = sum(len(segment.text) for segment in segments)
        if used < width:
            segments.append(Segment(" " * (width - used), plain))
        return segments

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
            self.canvas = draw(self.picture or Picture(message=" "), width, height,
                               theme=self._get_plotext_theme_name(self.app.theme), resolve=self.resolve,
                               ascii_only=self.ascii_only or palette.ascii_only, fast=self.fast_lines,
                               figure=self._plot)
            runs = self.canvas.runs()
            self._built = [[Segment(text, cell_style(*colors)) for text, colors in row] for row in runs]
            if self.key and self._built and self.picture is not None and self.picture.lines and height > 1:
                self._built[0] = self._key_segments(runs[0], width)
            self._built_key = key
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
