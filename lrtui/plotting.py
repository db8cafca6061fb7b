"""The one plot renderer of lrtui: the app's charts, `lrtui find --plot` and `lrtui diagnose --plot`.

A caller describes what to draw as a Picture (lines, vertical markers, text labels, axis
ranges, log scales) and `draw` turns it into a Canvas of character cells with plotext 5's
colours, which the app turns into Textual strips and the command line into ANSI or plain
text. Headless: no Textual, no Rich; plotext itself is imported only when a chart is drawn.

What it guards, so that no caller has to:
- log axes are done here (log10 of the data and decade ticks), because plotext 5's
  yscale("log") rewrites the data in place and breaks on redraw; the ticks always cover
  the data, so nothing is clipped;
- plotext 5 draws a legend entry from the colours of the points it kept on the canvas, and
  for a labelled series with none there it indexes an empty list: such a series gets no
  legend entry;
- values plotext cannot lay out an axis for (beyond about 1e300, or no finite value at all)
  give a message instead of a traceback.

With both axes pinned (`x_range`, and y fitted here), plotext builds only the frame, ticks and
legend, and the lines are rasterized in NumPy exactly as plotext would (rasterize_lines; a test
compares the two), because plotext's per-pixel Python was most of a frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from lrtui.core.decimate import rasterize_lines
from lrtui.text import visible as escape_text

DECADE_NAMES = {0: "1", 1: "10", -1: "0.1"}
DRAWABLE = 1e300  # plotext divides the axis range into ticks: beyond this it overflows
LOG_DRAWABLE = 700.0  # log10 units: past the largest and smallest float64 (1e308, 5e-324)
NOT_DRAWN = "(no plot: the values are beyond what a terminal plot can draw)"
# plotext draws its frame, ticks and vertical lines with box-drawing characters: one ASCII cell for each.
ASCII_CELLS = str.maketrans({"─": "-", "│": "|", "┼": "+", "┬": "+", "┴": "+", "├": "+", "┤": "+", "└": "+",
                             "┘": "+", "┌": "+", "┐": "+", "•": "*", "⅃": "J", "Γ": "r", "⅂": "7", "█": "#"})
ASCII_TEXT = str.maketrans({"√": "sqrt", "̂": "", "·": ".", "≤": "<=", "≥": ">=", "→": "->", "λ": "lambda",
                            "η": "eta", "×": "x", "≈": "~", "…": "...", "★": "*", "●": "o", "■": "#",
                            "✓": "ok", "✗": "x", "⚑": "!", "▲": "^", "▼": "v", "±": "+/-", "–": "-", "—": "-"})


@dataclass
class Line:
    x: np.ndarray
    y: np.ndarray
    color: object = 0  # whatever the caller's `resolve` turns into a plotext colour
    label: str | None = None
    marker: str | None = None


@dataclass
class Picture:
    lines: list[Line] = field(default_factory=list)
    vlines: list[tuple[float, object]] = field(default_factory=list)
    texts: list[tuple[str, float, float, object]] = field(default_factory=list)  # (text, x, y, colour)
    title: str = ""
    x_label: str = ""
    log_y: bool = False
    x_range: tuple[float, float] | None = None
    y_range: tuple[float, float] | None = None  # in data units (log10 units when log_y); None: fitted
    log_x: bool = False  # x holds log10 values already: label the ticks as decades (1e-3, ...)
    message: str = ""  # shown instead of a plot when there is nothing to draw
    legend: bool = True


def nice_steps():
    """1, 2, 3, 4, 5, 10, 20, 25, 50, 100, 200, 250, 500, ...: decades between two ticks."""
    yield from (1, 2, 3, 4, 5)
    scale = 10
    while True:
        yield from (scale, 2 * scale, 5 * scale // 2, 5 * scale)
        scale *= 10


def decade_ticks(low: float, high: float, most: int = 8) -> tuple[list[float], list[str]]:
    """Ticks in log10 units for data spanning log10 values low..high, labelled 1e-3, 0.1, 1, 10, 1e2 ...

    One per decade, or one every few decades (at multiples of that step: 1e-20, 1e-10, 1) when there
    are more than about `most`. The first tick is at or below `low` and the last at or above `high`,
    so an axis pinned to them clips nothing.
    """
    lo, hi = math.floor(low), math.ceil(high)
    step = next(n for n in nice_steps() if n * most >= hi - lo)
    first, last = step * math.floor(lo / step), step * math.ceil(hi / step)
    ticks = list(range(first, last + 1, step))
    return [float(t) for t in ticks], [DECADE_NAMES.get(t, f"1e{t}") for t in ticks]


def decade_axis(low: float, high: float, most: int = 8) -> tuple[tuple[float, float], list[float], list[str]]:
    """A log10 axis for data spanning low..high: its limits and the decade ticks inside them.

    The limits fit the data itself (with a sliver of margin) when that still holds two decade ticks,
    so that small changes, a run bouncing between two levels, stay visible; else whole decades.
    """
    margin = 0.02 * (high - low)
    fitted = (low - margin, high + margin)
    ticks, labels = decade_ticks(*fitted, most=most)
    inside = [(t, label) for t, label in zip(ticks, labels) if fitted[0] <= t <= fitted[1]]
    if len(inside) >= 2:
        return fitted, [t for t, _ in inside], [label for _, label in inside]
    limits = (float(math.floor(low)), float(max(math.ceil(high), math.floor(low) + 1)))
    ticks, labels = decade_ticks(*limits, most=most)
    inside = [(t, label) for t, label in zip(ticks, labels) if limits[0] <= t <= limits[1]]
    return limits, [t for t, _ in inside], [label for _, label in inside]


def to_ascii(text: str) -> str:
    """Box-drawing, bullet and other non-ASCII glyphs replaced by ASCII look-alikes ('?' for the rest)."""
    text = text.translate(ASCII_TEXT).translate(ASCII_CELLS)
    return text if text.isascii() else "".join(c if c.isascii() else "?" for c in text)


def ascii_cells(text: str) -> str:
    """to_ascii, one character for one: for a row of canvas cells."""
    text = text.translate(ASCII_CELLS)
    return text if text.isascii() else "".join(c if c.isascii() else "?" for c in text)


def in_view(x: np.ndarray, y: np.ndarray, xlim, ylim) -> np.ndarray:
    """Which points lie inside the axis limits (None: plotext fits that axis to the data, so all)."""
    keep = np.ones(len(x), dtype=bool)
    for values, limits in ((x, xlim), (y, ylim)):
        if limits is not None:
            keep &= (values >= limits[0]) & (values <= limits[1])
    return keep


def _braille():
    import plotext._dict as plotext_dict

    return [plotext_dict.braille_codes[tuple((mask >> j) & 1 for j in range(8))] for mask in range(256)]


_BRAILLE: list[str] = []


class Canvas:
    """A drawn chart: rows of cells, top to bottom, each a marker and its (foreground, style, background)."""

    def __init__(self, matrix, ascii_only: bool, xlim=None, ylim=None):
        self.matrix = matrix
        self.ascii_only = ascii_only
        self.xlim, self.ylim = xlim, ylim  # the axis limits drawn (log10 units on a log axis)

    def runs(self) -> list[list[tuple[str, tuple]]]:
        """Per row, stretches of cells with the same colours: (text, (fullground, style, background))."""
        matrix = self.matrix
        rows = []
        for row in matrix.Rows[::-1]:
            markers = matrix.marker[row]
            colors = list(zip(matrix.fullground[row], matrix.style[row], matrix.background[row]))
            segments, start = [], 0
            for col in range(1, len(markers) + 1):
                if col == len(markers) or colors[col] != colors[start]:
                    text = "".join(markers[start:col])
                    segments.append((ascii_cells(text) if self.ascii_only else text, colors[start]))
                    start = col
            rows.append(segments)
        return rows

    def ansi(self) -> str:
        """The chart as text with ANSI colours, as plotext would print it."""
        import plotext._utility as ut

        lines = []
        for segments in self.runs():
            lines.append("".join(ut.colors_to_ansi(*colors) + text + ut.ansi_end for text, colors in segments))
        return "\n".join(lines)

    def plain(self) -> str:
        """The chart as plain text, trailing blanks trimmed."""
        return "\n".join("".join(text for text, _ in segments).rstrip() for segments in self.runs())


def _figure():
    from plotext._figure import _figure_class

    return _figure_class()


def draw(picture: Picture, width: int, height: int, *, theme: str = "clear", resolve=None,
         ascii_only: bool = False, fast: bool = True, figure=None) -> Canvas:
    """The picture drawn on a width x height canvas. `resolve` maps a Line's colour to a plotext colour."""
    global _BRAILLE
    resolve = resolve or (lambda color: color)
    fig = figure if figure is not None else _figure()
    fig.clear_data()
    fig.clear_figure()
    width, height = max(1, int(width)), max(1, int(height))
    fig.plotsize(width, height)
    fig._set_size(width, height)
    fig.theme(theme)
    xlim, ylim, pending = _describe(fig, picture, height, resolve, ascii_only, fast, width)
    fig._set_sizes()
    try:
        fig._build_matrix()
    except (ArithmeticError, ValueError):  # plotext on a range it cannot divide into ticks (1e-321, say)
        fig.clear_data()
        fig.clear_figure()
        fig.plotsize(width, height)
        fig._set_size(width, height)
        fig.theme(theme)
        title = escape_text(picture.title)
        fig.title(to_ascii(title) if ascii_only else title)
        _message(fig, NOT_DRAWN)
        fig._set_sizes()
        fig._build_matrix()
        xlim = ylim = pending = None
    matrix = fig.monitor.matrix
    if pending:
        if not _BRAILLE:
            _BRAILLE = _braille()
        _paint(fig.monitor, matrix, pending)
    return Canvas(matrix, ascii_only, xlim, ylim)


def nice_ticks(low: float, high: float, most: int = 6) -> list[float]:
    """Ticks at round numbers (1, 2, 2.5 or 5 times a power of ten apart) inside low..high, at most `most`:
    a step axis of 450 reads 0 100 200 300 400, not 0.0 112.5 225.0 337.5 450.0."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return []
    raw = (high - low) / max(1, most - 1)
    if raw < 1e-300:  # subnormal steps: powers of ten lose their digits there (10**-320 * 5 < 1e-320 * ...)
        return []
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    first = math.ceil(low / step - 1e-9) * step
    ticks = []
    t = first
    while t <= high + 1e-9 * step and len(ticks) < 50:
        ticks.append(round(t, 12))
        t += step
    return ticks


def tick_label(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:g}"


def _message(fig, text: str, width: int = 0, height: int = 0) -> None:
    """The text in the middle of the plot, wrapped to its width (centred text wider than the plot loses both
    ends): one line per row, as many as the plot's rows hold."""
    import textwrap

    inner_w, inner_h = max(8, width - 4), max(1, height - 4)
    lines = textwrap.wrap(text, inner_w) if width and len(text) > inner_w else [text]
    lines = lines[:inner_h] if height else lines
    for i, line in enumerate(lines):
        # Row centres of an inner_h-row plot on the 0..1 axis, the block of lines centred on 0.5.
        y = 0.5 + ((len(lines) - 1) / 2 - i) / max(inner_h, 1) if height else 0.5
        fig.text(line, 0.5, min(1.0, max(0.0, y)), alignment="center")
    fig.xlim(0, 1)
    fig.ylim(0, 1)
    fig.xticks([], [])
    fig.yticks([], [])


def _describe(fig, picture: Picture, height: int, resolve, ascii_only: bool, fast: bool, width: int = 0):
    """Hand the picture to plotext; returns the limits and the lines left for _paint to rasterize."""
    title = escape_text(picture.title)
    fig.title(to_ascii(title) if ascii_only else title)
    if picture.x_label:
        fig.xlabel(to_ascii(picture.x_label) if ascii_only else picture.x_label)
    marker = "dot" if ascii_only else "braille"
    if picture.message or not picture.lines:
        _message(fig, to_ascii(picture.message) if ascii_only and picture.message else (picture.message or "no data yet"),
                 width, height)
        return None, None, None
    low, high = math.inf, -math.inf
    shown = []
    # plotext pins its legend to the top left, where curves start; when it would fill more than
    # a third of the plot it hides them, so it is left out (the caller names the runs elsewhere).
    labelled = sum(1 for line in picture.lines if line.label)
    with_legend = picture.legend and labelled <= max(1, (height - 4) // 3)
    for line in picture.lines:
        y = np.asarray(line.y, dtype=np.float64)
        x = np.asarray(line.x, dtype=np.float64)
        if picture.log_y:
            with np.errstate(all="ignore"):
                y = np.log10(np.where(y > 0, y, np.nan))
        keep = np.isfinite(y) & np.isfinite(x) & (np.abs(y) <= DRAWABLE) & (np.abs(x) <= DRAWABLE)
        if not keep.any():
            continue
        x, y = x[keep], y[keep]
        low, high = min(low, float(y.min())), max(high, float(y.max()))
        shown.append((line, x, y))
    if not shown:
        _message(fig, "nothing finite to draw")
        return None, None, None
    ylim = None
    entries = sum(1 for line, _, _ in shown if line.label)  # the legend's rows
    most_y = max(3, min(8, height - 4))  # at most a tick a row
    # The rows plotext will have for the data: the frame, the x tick labels, the title and an x label take the rest.
    rows = height - 3 - (1 if picture.title.strip() else 0) - (1 if picture.x_label.strip() else 0)
    # A pinned range is used when it is one plotext can draw (in log10 units, at most a few hundred decades).
    bound = LOG_DRAWABLE if picture.log_y else DRAWABLE
    if picture.y_range is not None and picture.y_range[1] > picture.y_range[0] and all(
            math.isfinite(v) and abs(v) <= bound for v in picture.y_range):
        ylim = (float(picture.y_range[0]), float(picture.y_range[1]))
        if picture.log_y:
            fig.yticks(*evenly_spaced_decades(ylim, ylim, rows, most_y)[1:])
    elif picture.log_y:
        # Whole decades around the data, so that nothing is clipped and the ticks read 1e-3, 0.1, 1 ...
        ylim = decade_axis(low, high, most=most_y)[0]
        if with_legend:
            ylim = legend_headroom(ylim, high, rows, entries)
        fig.yticks(*evenly_spaced_decades((low, high), ylim, rows, most_y)[1:])
    elif high > low:
        ylim = (low, high)
    else:  # one value: a band around it, so plotext has a range to divide into ticks
        pad = max(abs(low) * 0.05, 1e-12)
        ylim = (low - pad, high + pad)
    if picture.y_range is None and with_legend and not picture.log_y:
        ylim = legend_headroom(ylim, high, rows, entries)
    if not picture.log_y and rows >= 2 and ylim is not None:
        fig.yticks(*row_ticks(ylim, rows, most_y))
    xlim = None
    if picture.x_range is not None and picture.x_range[1] > picture.x_range[0] and all(
            math.isfinite(v) and abs(v) <= DRAWABLE for v in picture.x_range):
        xlim = (float(picture.x_range[0]), float(picture.x_range[1]))
    else:
        xs = np.concatenate([x for _, x, _ in shown])
        x0, x1 = float(xs.min()), float(xs.max())
        xlim = (x0, x1) if x1 > x0 else (x0 - 0.5, x0 + 0.5)
    shown = _pieces(shown, xlim, ylim)
    # With both limits pinned, plotext gets one point per line (for its legend and colours) and
    # _paint rasterizes the lines in NumPy, exactly as plotext would, after the frame is built.
    # Text labels sit on top of the lines in plotext; they are rare (the CLI's picks), so plotext draws those pictures.
    pending = [] if fast and not picture.texts else None
    monitor = fig.monitor
    first_plot = True
    for line, x, y in shown:
        color, line_marker = resolve(line.color), line.marker or marker
        # plotext 5 draws a legend entry from the colours of the points it kept on the canvas: a
        # labelled series with none there makes it index an empty list (IndexError). Such a line
        # gets no legend entry, and the point the fast path hands plotext is one in view.
        visible = in_view(x, y, xlim, ylim)
        # Labels come from files (run labels, log headers): shown as text, never as terminal controls.
        label = escape_text(line.label) if with_legend and visible.any() and line.label else None
        if label is not None and ascii_only:
            label = to_ascii(label)
        if pending is not None:
            # plotext's own checks give the marker, colour and style it would have drawn with.
            pending.append((x, y, monitor.check_marker(line_marker), monitor.check_color(color),
                            monitor.check_style(None)))
            if label is None and not first_plot:
                continue
            first = int(np.argmax(visible))  # 0 when nothing is in view: then it has no label
            x, y = x[first:first + 1], y[first:first + 1]  # for the legend and axes, drawn over by the line
        fig.plot(x.tolist(), y.tolist(), color=color, label=label, marker=line_marker)
        first_plot = False
    for x, color in picture.vlines:
        if math.isfinite(x) and xlim[0] <= x <= xlim[1]:
            fig.vline(float(x), resolve(color))
    for text, x, y, color in picture.texts:
        if math.isfinite(x) and math.isfinite(y):
            fig.text(to_ascii(text) if ascii_only else text, x, y, color=resolve(color))
    fig.xlim(*xlim)
    if picture.log_x:
        ticks, labels = decade_ticks(*xlim)
        inside = [(t, label) for t, label in zip(ticks, labels) if xlim[0] <= t <= xlim[1]]
        if len(inside) >= 2:
            fig.xticks([t for t, _ in inside], [label for _, label in inside])
    else:
        most = max(2, min(6, (width or 60) // 10))
        ticks = nice_ticks(*xlim, most=most)
        if len(ticks) < 2:  # a round step as wide as the axis leaves one tick: a finer one (0 200 400, not 0.0 112.5)
            ticks = nice_ticks(*xlim, most=most + 1)
        if len(ticks) >= 2:
            fig.xticks(ticks, [tick_label(t) for t in ticks])
    fig.ylim(*ylim)
    return xlim, ylim, pending


def legend_headroom(ylim: tuple[float, float], high: float, rows: int, entries: int) -> tuple[float, float]:
    """A fitted axis raised so that the data stays under the legend's rows (plotext pins the legend to the top
    left, where a loss curve starts, and would hide it: walkthrough 3 saw a flat loss at 2.3 vanish under it).
    Only where the plot keeps at least 4 rows for the data; the raised top is the legend's, ticks stay put."""
    low, top = ylim
    data_rows = rows - entries
    if entries <= 0 or data_rows < 4 or not (top > low):
        return ylim
    # The rows of the data's top: under the legend, it needs `entries` more rows above it.
    needed = low + (high - low) * rows / data_rows
    return (low, max(top, needed))


def row_ticks(ylim, rows: int, most: int) -> tuple[list[float], list[str]]:
    """Linear ticks on evenly spaced rows, each at its row's value (plotext puts the first and last rows at the
    limits): plotext's own ticks landed two on a row in a short chart, and a label went missing ("16.9, 15.0,
    13.1, 9.4" on consecutive rows: walkthrough 15a, F9). Labelled to a tenth of the step, evenly."""
    every = max(1, math.ceil((rows - 1) / max(1, most - 1)))
    ticks = [ylim[0] + i * (ylim[1] - ylim[0]) / (rows - 1) for i in range(0, rows, every)]
    step = (ylim[1] - ylim[0]) * every / (rows - 1)
    if step > 0 and 1e-3 <= max(abs(t) for t in ticks) < 1e6:
        decimals = min(6, max(0, 1 - math.floor(math.log10(step))))
        return ticks, [f"{t:.{decimals}f}" for t in ticks]
    for digits in range(3, 8):  # very large or small: as many figures as tell them apart
        labels = [f"{t:.{digits}g}" for t in ticks]
        if len(set(labels)) == len(labels):
            break
    return ticks, labels


def evenly_spaced_decades(data, ylim, rows: int, most: int) -> tuple[tuple[float, float], list[float], list[str]]:
    """Decade ticks for a log axis drawn over `ylim` in `rows` rows, each on a row of its own and evenly spaced:
    where two would share a row, fewer ticks (a coarser step), not one dropped from the middle (walkthrough 7: "1,
    1e-5, 1e-10, 1e-20, 1e-25" in a short chart). `data` is the range the ticks are chosen for. In a chart of two
    or three rows, each over a decade tall, each row is labelled with the decade nearest the value it stands for
    (plotext's mapping puts the first and last rows at the limits): a tick on a row's edge had labelled lesson 17's
    lr 0.5 "1e-2" at 60x20 (walkthrough 10b, D69)."""
    span = ylim[1] - ylim[0]
    if 2 <= rows <= 3 and span / (rows - 1) > 1:
        ticks = sorted({float(round(ylim[0] + i * span / (rows - 1))) for i in range(rows)})
        labels = [DECADE_NAMES.get(int(t), f"1e{int(t)}") for t in ticks]
        return (ylim, *one_tick_a_row(ticks, labels, ylim, rows))
    for fewer in range(most, 1, -1):
        _, ticks, labels = decade_axis(*data, most=fewer)
        inside = [(t, label) for t, label in zip(ticks, labels) if ylim[0] <= t <= ylim[1]]
        ticks, labels = [t for t, _ in inside], [label for _, label in inside]
        kept = one_tick_a_row(ticks, labels, ylim, rows)
        if len(kept[0]) == len(ticks):
            return ylim, ticks, labels
    return (ylim, *one_tick_a_row(ticks, labels, ylim, rows))


def one_tick_a_row(ticks: list[float], labels: list[str], ylim, rows: int) -> tuple[list[float], list[str]]:
    """The ticks that each get a row of their own (the lowest of those that would share one).

    plotext writes every label at its row, in an order it takes from a set of (tick, label) pairs, which
    follows the string hash of the labels: two labels on one row showed one or the other from one run
    of Python to the next (the lr-sweep's 1e-2 against 1e-4 in a 3-row LR chart)."""
    if rows < 1 or ylim[1] <= ylim[0]:
        return ticks, labels
    kept, taken = [], set()
    for tick, label in sorted(zip(ticks, labels)):
        where = 0.5 + (rows - 1) * (tick - ylim[0]) / (ylim[1] - ylim[0])
        if not math.isfinite(where):  # a range of a few subnormals: no row can be told from the next
            continue
        row = math.floor(round(where, 8))  # plotext's mapping
        if row not in taken:
            taken.add(row)
            kept.append((tick, label))
    return [t for t, _ in kept], [label for _, label in kept]


def _pieces(shown, xlim, ylim):
    """Lines cut where they run far outside the axis limits, so that no segment spans more than a few canvases.

    Drawing interpolates every pixel between two points (plotext and rasterize_lines alike): a point
    at 1e300 on an axis of width 1 would take forever. Points beyond two widths of the view are
    dropped and the line is split there (a piece after the first keeps no label).
    """
    out = []
    for line, x, y in shown:
        (x0, x1), (y0, y1) = xlim, ylim
        mx, my = 2 * (x1 - x0), 2 * (y1 - y0)
        near = (x >= x0 - mx) & (x <= x1 + mx) & (y >= y0 - my) & (y <= y1 + my)
        if near.all():
            out.append((line, x, y))
            continue
        starts = np.flatnonzero(near & ~np.r_[False, near[:-1]])
        ends = np.flatnonzero(near & ~np.r_[near[1:], False]) + 1
        for i, (a, b) in enumerate(zip(starts, ends)):
            piece = line if i == 0 else Line(line.x, line.y, line.color, None, line.marker)
            out.append((piece, x[a:b], y[a:b]))
    return out


def _paint(monitor, matrix, pending) -> None:
    """Draw the pending lines into plotext's matrix as its build_plot would (see rasterize_lines).

    plotext's legend is drawn after the data, so its cells are left as they are.
    """
    cols, rows = matrix.Cols_canvas, matrix.Rows_canvas
    width, height = len(cols), len(rows)
    if width <= 0 or height <= 0:
        return
    (x0, x1), (y0, y1) = monitor.xlim[0], monitor.ylim[0]
    labels = [f" {label} " for label in monitor.label if label is not None]
    legend = (0, 0)
    if labels and width >= 3 + max(map(len, labels)) and height >= len(labels):
        legend = (len(labels), 3 + max(map(len, labels)))
    pixels, braille = [], []
    for x, y, marker, _, _ in pending:
        braille.append(marker == "braille")
        xf, yf = (2, 4) if braille[-1] else (1, 1)
        with np.errstate(all="ignore"):
            pixels.append((np.floor(np.round(0.5 + (width * xf - 1) * (x - x0) / (x1 - x0), 8)),
                           np.floor(np.round(0.5 + (height * yf - 1) * (y - y0) / (y1 - y0), 8))))
    lines, cx, cy, masks = rasterize_lines(pixels, braille, width, height)
    shown = ~((cy >= height - legend[0]) & (cx < legend[1]))
    for s, c, r, mask in zip(*(a[shown].tolist() for a in (lines, cx, cy, masks))):
        _, _, marker, color, style = pending[s]
        glyph = _BRAILLE[mask] if mask else marker
        row, col = rows.start + r, cols.start + c
        matrix.marker[row][col], matrix.fullground[row][col], matrix.style[row][col] = glyph, color, style
