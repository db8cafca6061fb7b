"""For losses with no 2-D landscape: the gradient norm, and the LR against the stability limit, over time.

The lower chart is the stability gauge: lr x sharpness as a percentage of the
largest value the optimizer survives (2 for plain gradient descent). Above the
100% line the run is unstable where it is: it oscillates outwards, and diverges
unless it moves on to flatter ground; far below it, the LR is timid. This is what a landscape would show for a model, where there is none.
"""

from __future__ import annotations

import math

import numpy as np
from textual.app import ComposeResult
from textual.containers import Vertical

from lrtui.core.decimate import as_line, min_max_columns
from lrtui.tui.palette import DIVERGED, run_color
from lrtui.tui.view import as_view
from lrtui.tui.widgets.chart import Chart, Line, Picture
from lrtui.tui.widgets.panel import Panel
from lrtui.tui.widgets.status_line import percent as percent_text

LOG_ABOVE_PERCENT = 1000.0  # past 10x the limit a linear axis would flatten the 100% line to the floor
# Each chart spends 4 rows on its title, frame and ticks: below this height two charts leave no room to
# plot, so the panel keeps only the gauge, which says more about the LR than the gradient norm does.
BOTH_CHARTS_FROM_HEIGHT = 14
SHARED_FROM_HEIGHT = 40


def curvature_applies(view) -> bool:
    """True when the focused run's loss has no 2-D landscape to draw (a model or an n-D loss)."""
    loss = as_view(view).focused.loss_function
    return loss.window is None or loss.n_params != 2


def _x_range(session) -> tuple[float, float]:
    return 0.0, float(max(session.scenario.steps, session.experiment.step_count, 1))


def grad_norm_picture(view, width: int) -> Picture:
    view = as_view(view)
    columns = max(10, 2 * width)
    picture = Picture(log_y=True, x_range=_x_range(view.session), title="gradient norm (log10)")
    for run in focused_last(view.n_runs, view.session.focused):
        run_view = view.run(run)
        env = run_view.history.envelope("grad_norm")
        x, low, high = min_max_columns(env.step_end, env.low, env.high, columns, picture.x_range)
        if len(x):
            picture.lines.append(Line(*as_line(x, low, high), color=run_color(run, run_view.diverged_at >= 0)))
    return picture


def focused_last(n_runs: int, focused: int) -> list[int]:
    """The runs in the order they are drawn: where two lines share a text row, the later one's dots replace the
    earlier one's, so the focused run, the one the header's number is about, goes last (walkthrough 3, 14: digits'
    header said 22% while the other run's line at 0.003% covered its row)."""
    return [run for run in range(n_runs) if run != focused] + ([focused] if 0 <= focused < n_runs else [])


def limit_on_a_row(peak: float, height: int) -> tuple[float, float] | None:
    """A linear range from 0 in which 100% falls exactly on a labelled row of a chart `height` rows tall (as
    plotting.draw lays out rows and ticks), or None where none fits: the limit line was drawn on the row labelled
    91 between 135 and 46 (walkthrough 17a, L5)."""
    rows = height - 4  # the title, the frame's two rows and the x ticks
    if rows < 3:
        return None
    most = max(3, min(8, height - 4))
    every = max(1, math.ceil((rows - 1) / max(1, most - 1)))
    top = 1.05 * max(peak, 100.0)
    k = math.floor(100.0 * (rows - 1) / (top * every))
    return (0.0, 100.0 * (rows - 1) / (k * every)) if k >= 1 else None


def gauge_picture(view, width: int, height: int = 0) -> Picture:
    view = as_view(view)
    session = view.session
    exp = session.experiment
    columns = max(10, 2 * width)
    x_range = _x_range(session)
    picture = Picture(x_range=x_range)
    peak = 0.0
    for run in focused_last(exp.n_runs, session.focused):
        steps, _top, gauge = exp.curvature_history(run)
        percent = 100.0 * gauge
        x, low, high = min_max_columns(steps, percent, percent, columns, x_range)
        if len(x):
            picture.lines.append(Line(*as_line(x, low, high), color=run_color(run, view.run(run).diverged_at >= 0)))
            peak = max(peak, float(high.max()))
    if not picture.lines:
        picture.message = "stability gauge: sharpness not measured yet (step once)"
        return picture
    picture.lines.append(Line(np.array(x_range), np.array([100.0, 100.0]), color=DIVERGED, label="limit",
                              marker="dot"))
    picture.log_y = peak > LOG_ABOVE_PERCENT
    if not picture.log_y and height:
        picture.y_range = limit_on_a_row(peak, height)
    now = exp.gauge(session.focused)
    shown = percent_text(now) if math.isfinite(now) else "not measured"  # written as the status line writes it
    scale = ", log10" if picture.log_y else ""
    if width >= 60:
        # (not "diverges": runs pass 150% in lessons 7 and 9 and move on to flatter ground; walkthrough 23a, Y3)
        picture.title = f"lr x sharpness, % of stable limit{scale} (>100%: unstable there)  now {shown}"
    else:  # plotext drops a title wider than the chart
        picture.title = f"lr, % of stable limit{scale}: {shown}"
    return picture


class CurvaturePanel(Panel, Vertical):
    """Two charts: gradient norm on top, the stability gauge with its 100% line below."""

    DEFAULT_CSS = "CurvaturePanel { height: 1fr; } CurvaturePanel > Chart { height: 1fr; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.ascii_only = False
        self.pictures: tuple[Picture, Picture] | None = None

    def compose(self) -> ComposeResult:
        yield Chart(classes="grad-norm")
        yield Chart(classes="gauge")

    def on_resize(self) -> None:
        super().on_resize()
        grad_chart = self.query_one(".grad-norm", Chart)
        grad_chart.display = self.size.height >= BOTH_CHARTS_FROM_HEIGHT
        if grad_chart.display and self.pictures is not None:
            grad_chart.show(self.pictures[0])  # it was skipped while hidden

    def applies(self, view) -> bool:
        # Below SHARED_FROM_HEIGHT rows a model on 2-D data shows its decision regions instead (the status
        # line still gives the gauge as "lr N% of limit"): both would leave each other too few rows.
        from lrtui.tui.widgets.decision_panel import decision_applies

        if view.height < SHARED_FROM_HEIGHT and decision_applies(view):
            return False
        return curvature_applies(view)

    def redraw(self, view) -> None:
        grad_chart, gauge_chart = self.query_one(".grad-norm", Chart), self.query_one(".gauge", Chart)
        width = self.size.width or 60
        key = view.key(width, view.session.focused, gauge_chart.size.height)
        if key == getattr(self, "_key", None) and self.pictures is not None:
            return  # nothing changed since the last frame
        self._key = key
        self.pictures = (grad_norm_picture(view, width), gauge_picture(view, width, gauge_chart.size.height))
        for chart, picture in zip((grad_chart, gauge_chart), self.pictures):
            chart.ascii_only = self.ascii_only
            if chart.display:
                chart.show(picture)
