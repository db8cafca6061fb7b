"""The panels of `lrtui watch`: a training log's loss and LR, its verdict and findings, and what the file is doing.

They are the app's kind of panel (Panel, drawn through Chart and lrtui.plotting with the theme's palette), fed
from a LogView: the Follower's latest Frame (lrtui.watch_command) and the screen's view flags. Everything
that comes from the log (names, labels, messages that quote it) goes through lrtui.text.visible and into Rich
Text as plain text, never markup.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
from rich.text import Text
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from lrtui.core.decimate import as_line, min_max_columns
from lrtui.core.diagnostics.types import in_words
from lrtui.logs import FORMAT_NAMES
from lrtui.text import visible
from lrtui.tui.palette import app_palette
from lrtui.tui.widgets.chart import Chart, Line, Picture, to_ascii
from lrtui.tui.widgets.diagnostics_panel import SEVERITY_STYLE
from lrtui.tui.widgets.panel import Panel

AUTO_LOG_SPAN = 10.0  # as the app's loss panel: a log10 axis once the loss spans more than a decade
FINDING_COLORS = {"warning": "warning", "error": "diverged"}
UNTRIED = "not tried: lrtui cannot re-run your training"


@dataclass(frozen=True)
class LogView:
    """What the watch panels draw from: a Frame of the followed log, and the screen's flags."""

    frame: object  # lrtui.watch_command.Frame
    log_scale: bool | None = None  # None: automatic
    ascii_only: bool = False
    height: int = 30
    chosen: object = None  # the finding picked in the list (its explanation shows), None: the verdict
    paused: bool = False  # p: the drawing waits (the log is still read)


def number(value: float) -> str:
    return "nan" if math.isnan(value) else f"{value:.4g}"


def step_text(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() and abs(value) < 1e15 else number(value)


def plain(text: str, ascii_only: bool) -> str:
    text = visible(text)
    return to_ascii(text) if ascii_only else text


def _columns(x, y, columns: int, x_range):
    cx, lo, hi = min_max_columns(x, y, y, columns, x_range)
    return as_line(cx, lo, hi)


def flat_range(series, log_y: bool) -> tuple[float, float] | None:
    """A y range around a curve that is flat to the last digits (a dead network's constant loss), whose ticks
    plotext would otherwise label to 18 digits; None (fitted) for any other curve."""
    values = np.concatenate([np.asarray(y, dtype=float) for y in series]) if series else np.empty(0)
    with np.errstate(all="ignore"):
        values = np.log10(values[values > 0]) if log_y else values[np.isfinite(values)]
    if not values.size:
        return None
    low, high = float(values.min()), float(values.max())
    if high - low > 1e-6 * max(abs(low), abs(high), 1e-300):
        return None
    pad = 0.5 if log_y else max(0.05 * abs(low), 1e-12)
    return low - pad, high + pad


def fitted(title: str, parts: list[str], width: int) -> str:
    """The title with as many of its parts, in order, as fit the width (plotext drops a title that does not)."""
    for part in parts:
        if len(title) + len(part) > width:
            break
        title += part
    return title


class LogLossPanel(Panel, Chart):
    """The loss as logged (muted), its smoothed curve, the validation loss, and a ! where each finding began."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shown_log = False
        self.auto_log = False  # the automatic choice (`l` comes back to it)

    def loss_picture(self, view: LogView, width: int) -> Picture:
        frame = view.frame
        log, report = frame.log, frame.report
        if log is None or report is None:
            return Picture(message=plain(frame.problem or "waiting for the first losses", view.ascii_only))
        steps = np.asarray(log.steps, dtype=float)
        x_range = (float(steps[0]), float(max(steps[-1], steps[0] + 1)))
        columns = max(10, 2 * width)
        marker = self.palette.run_marker(0)
        picture = Picture(x_range=x_range, x_label=plain(log.columns.get("step", "row"), view.ascii_only))
        picture.lines.append(Line(*_columns(steps, log.loss, columns, x_range), color="muted"))
        # No legend (plotext pins it top left, where a loss curve starts): the title says what each line is.
        picture.lines.append(Line(*_columns(report.steps, report.smoothed, columns, x_range), color=0,
                                  marker=marker))
        parts = [f": raw, smoothed (EMA {report.smoothing_weight:.2f})"]
        if log.val_loss is not None and log.val_steps is not None and np.isfinite(log.val_loss).any():
            picture.lines.append(Line(*_columns(log.val_steps, log.val_loss, columns, x_range), color=1,
                                      marker=self.palette.run_marker(1) or "dot"))
            parts.append(", val_loss dotted" if self.palette.run_marker(1) is None else ", val_loss +")
        finite = log.loss[np.isfinite(log.loss)]
        positive = finite[finite > 0]
        span = float(positive.max() / positive.min()) if positive.size == finite.size and positive.size else 1.0
        auto = view.log_scale is None
        self.auto_log = bool(span > AUTO_LOG_SPAN)
        picture.log_y = self.auto_log if auto else bool(view.log_scale and positive.size)
        self.shown_log = picture.log_y
        top = float(finite.max()) if finite.size else 1.0
        bad = np.flatnonzero(~np.isfinite(log.loss))
        if bad.size:  # where the loss stopped being a number: an x at the top, in the diverged colour
            picture.lines.append(Line(np.array([float(steps[bad[0]])]), np.array([top]), color="diverged",
                                      marker="x"))
        for d in report.diagnoses:
            if d.severity in FINDING_COLORS and x_range[0] <= d.step <= x_range[1]:
                at = min(int(np.searchsorted(report.steps, d.step)), report.steps.size - 1)
                y = float(report.smoothed[at])
                if math.isfinite(y) and (y > 0 or not picture.log_y):
                    picture.lines.append(Line(np.array([float(d.step)]), np.array([y]),
                                              color=FINDING_COLORS[d.severity], marker="!"))
        picture.y_range = flat_range([line.y for line in picture.lines], picture.log_y)
        scale = "log10" if picture.log_y else "linear"
        if any(line.marker == "!" for line in picture.lines):
            parts.append("; ! where a finding began")
        picture.title = fitted(f"loss ({scale}{', auto' if auto else ''})", parts, width - 4)
        return picture

    def redraw(self, view: LogView) -> None:
        width = self.size.width or 80
        if not self.unchanged((id(view.frame.report), view.frame.problem, width, view.log_scale)):
            self.show(self.loss_picture(view, width))


CROWDED = 20  # below this many rows the LR chart gives its room to the loss (the status line still says the LR)


class LogLRPanel(Panel, Chart):
    """The learning rate as logged (log10 while it stays positive)."""

    def applies(self, view: LogView) -> bool:
        log = view.frame.log
        return (view.height >= CROWDED and log is not None and log.lr is not None
                and bool(np.isfinite(log.lr).any()))

    def lr_picture(self, view: LogView, width: int) -> Picture:
        log = view.frame.log
        steps = np.asarray(log.steps, dtype=float)
        x_range = (float(steps[0]), float(max(steps[-1], steps[0] + 1)))
        lr = np.asarray(log.lr, dtype=float)
        finite = lr[np.isfinite(lr)]
        log_y = bool(finite.size and finite.min() > 0)
        picture = Picture(x_range=x_range, log_y=log_y)
        picture.lines.append(Line(*_columns(steps, lr, max(10, 2 * width), x_range), color=0,
                                  marker=self.palette.run_marker(0)))
        picture.y_range = flat_range([picture.lines[0].y], log_y)
        now = finite[-1] if finite.size else math.nan
        picture.title = f"learning rate ({'log10' if log_y else 'linear'})   now {number(float(now))}"
        return picture

    def redraw(self, view: LogView) -> None:
        width = self.size.width or 80
        if not self.unchanged((id(view.frame.log), width)):
            self.show(self.lr_picture(view, width))


def finding_text(d, ascii_only: bool, full: bool) -> Text:
    """A finding: its words, step and message; in full, its evidence and the fix to try."""
    text = Text()
    words = in_words(d.code)
    text.append(f"{words} ", style=SEVERITY_STYLE.get(d.severity, "bold"))
    text.append(f"({d.severity}, step {d.step:,})\n", style="dim")
    message = d.message
    for prefix in (f"{words}: ", f"{d.code.replace('_', ' ')}: "):
        message = message.removeprefix(prefix)
    text.append(plain(message, ascii_only) + "\n", style="bold")
    if full:
        text.append(plain(d.explanation, ascii_only) + "\n")
        if d.fix:
            fix = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in d.fix.items())
            text.append(f"fix to try: {plain(fix, ascii_only)} ({UNTRIED})\n", style="bold")
    return text


class VerdictPanel(Panel, Static):
    """The verdict (or the finding picked in the list) with its evidence and the fix to try."""

    _shown: Text | None = None

    def redraw(self, view: LogView) -> None:
        frame = view.frame
        width = self.size.width or 40
        titles = (("verdict: run still going (curve-only rules)", "verdict: run still going", "verdict")
                  if frame.live else ("verdict: writer stopped (curve-only rules)", "verdict: writer stopped",
                                      "verdict"))
        self.border_title = next(t for t in titles if len(t) + 4 <= width or t == titles[-1])
        if frame.report is None:
            text = Text(plain(frame.problem or "waiting for the first losses", view.ascii_only), style="dim")
        else:
            chosen = view.chosen if view.chosen is not None else frame.report.diagnoses[0]
            text = finding_text(chosen, view.ascii_only, full=True)
        if text != self._shown:
            self._shown = text
            self.update(text)


class FindingsPanel(Panel, OptionList):
    """Every finding, the verdict first; moving through them shows each one in the verdict panel."""

    DEFAULT_CSS = "FindingsPanel { height: 1fr; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.border_title = "findings"
        self.findings: list = []
        self._shown: list | None = None

    def redraw(self, view: LogView) -> None:
        report = view.frame.report
        findings = [] if report is None else list(report.diagnoses)
        shown = [(d.code, d.step, d.message) for d in findings]
        if shown == self._shown:
            return
        self._shown = shown
        self.findings = findings
        highlighted = self.highlighted
        self.clear_options()
        if not findings:
            self.add_option(Option(Text("no findings yet", style="dim"), disabled=True))
            return
        for d in findings:
            line = Text(no_wrap=True, overflow="crop" if view.ascii_only else "ellipsis")
            line.append(f"{d.step:>7} ", style="dim")
            line.append(f"{d.severity:<7} ", style=SEVERITY_STYLE.get(d.severity, ""))
            line.append(plain(d.message, view.ascii_only))
            self.add_option(Option(line))
        self.highlighted = 0 if highlighted is None else min(highlighted, len(findings) - 1)


def _ago(seconds: float) -> str:
    if seconds < 60:
        return f"{int(seconds // 10) * 10} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min"
    return f"{seconds / 3600:.1f} h"


def state_line(frame, ascii_only: bool) -> tuple[str, str]:
    """(text, style) of what the file is doing: waiting, read, stopped, or what went wrong."""
    st = frame.status
    if st.error:
        return f"cannot read it: {st.error}", "bold red"
    if st.waiting:
        return st.waiting, "yellow"
    clock = time.strftime("%H:%M:%S", time.localtime(st.data_time)) if st.data_time else "-"
    if st.behind > 0:
        text, style = f"reading what is there: {st.behind / 2**20:,.1f} MB to go", "yellow"
    elif st.stopped:
        text, style = f"no new data for {_ago(st.quiet)} (since {clock}): has the writer stopped?", "yellow"
    else:
        text, style = f"following: last data at {clock}", "green"
    if st.pending and not st.counted_pending:
        text += f"; a last line of {st.pending:,} bytes waits for its line end"
    if st.windows:
        text += (f"; window rolled {st.windows}x, the earlier run kept as {st.carried:,} points")
    if frame.problem and frame.report is not None:
        text += f"; now: {frame.problem}"
    return text, style


class WatchStatus(Panel, Static):
    """The file, its format, the last step, loss and LR, the verdict, and what the file is doing."""

    _shown: Text | None = None

    def redraw(self, view: LogView) -> None:
        frame, ascii_only = view.frame, view.ascii_only
        palette = app_palette(self.app, ascii_only)
        st = frame.status
        text = Text(no_wrap=True, overflow="crop" if ascii_only else "ellipsis")
        text.append(f" {plain(st.following or st.path, ascii_only)} ", style="bold")
        log, report = frame.log, frame.report
        if log is not None and report is not None:
            text.append(f" {FORMAT_NAMES.get(log.source_format, log.source_format)} ", style="dim")
            text.append(f" {palette.swatch(0)} ", style=None if palette.no_color else palette.rich(0))
            steps, loss = log.steps, log.loss
            text.append(f"step {step_text(float(steps[-1]))}  loss {number(float(loss[-1]))}")
            if log.lr is not None and np.isfinite(log.lr).any():
                text.append(f"  lr {number(float(log.lr[np.isfinite(log.lr)][-1]))}")
            text.append(f"  {loss.size:,} points")
            severity = report.diagnoses[0].severity
            text.append(f"  {in_words(report.verdict)}", style=SEVERITY_STYLE.get(severity, "") or "green")
        line, style = state_line(frame, ascii_only)
        if view.paused:
            line, style = f"paused (p goes on); {line}", "bold"
        text.append("\n ")
        text.append(plain(line, ascii_only), style=style)
        if st.notes:
            text.append("\n ")
            text.append(plain(st.notes[-1], ascii_only), style="italic")
        if text != self._shown:
            self._shown = text
            self.update(text)
