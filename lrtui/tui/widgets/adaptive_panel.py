"""What "adaptive" means, made visible: the step size each parameter really gets, over time.

Adagrad, RMSprop and the Adam family divide the learning rate by a running
root-mean-square of each parameter's gradients, so every parameter moves with
its own effective LR. The chart shows the smallest, the median and the
largest of them for the focused run, with the nominal LR dotted for scale:
a wide spread means the optimizer is equalizing very different curvatures;
a falling band is Adagrad's ever-growing sum at work.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.decimate import RunningColumns, min_max_columns
from lrtui.core.optimizers import OPTIMIZERS
from lrtui.tui.palette import run_color
from lrtui.tui.widgets.chart import Chart, Line, Picture
from lrtui.tui.widgets.loss_panel import input_key
from lrtui.tui.widgets.panel import Panel

TITLE = "effective LR per parameter (lr/√v̂): min, median, max"
ASCII_TITLE = "effective LR per parameter (lr/sqrt(v)): min, median, max"
SHORT_TITLE = "effective LR per parameter"  # plotext drops a title wider than the chart
TINY_TITLE = "LR per parameter"
CROWDED = 30  # screen rows below which the side column cannot hold this panel beside a landscape
SPREAD_COLORS = {"max": "warning", "min": "accent"}  # theme roles, see palette.py
# Under NO_COLOR the four lines differ by marker instead, and the legend shows which is which.
PLAIN_MARKERS = {"max": "^", "median": "*", "min": "v", "lr": "."}


def adaptive_names() -> list[str]:
    return [name for name, cls in OPTIMIZERS.items() if cls.adaptive]


def adaptive_applies(session) -> bool:
    """True when the focused run uses an optimizer with per-parameter step sizes."""
    name = session.experiment.spec(session.focused).optimizer
    return name in OPTIMIZERS and OPTIMIZERS[name].adaptive


def adaptive_picture(session, width: int, ascii_only: bool = False, no_color: bool = False,
                     lr_columns: RunningColumns | None = None) -> Picture:
    exp, run = session.experiment, session.focused
    x_range = (0.0, float(max(session.scenario.steps, exp.step_count, 1)))
    title = ASCII_TITLE if ascii_only else TITLE
    short = SHORT_TITLE if width >= len(SHORT_TITLE) + 12 else TINY_TITLE
    picture = Picture(log_y=True, x_range=x_range, title=title if width >= len(title) + 24 else short)
    if not adaptive_applies(session):
        name = exp.spec(run).optimizer
        picture.message = f"per-parameter LR: only for {', '.join(adaptive_names())}; run {run} uses {name}"
        return picture
    columns = max(10, 2 * width)
    steps, low, median, high = exp.effective_lr_history(run)
    x, lo, _ = min_max_columns(steps, low, low, columns, x_range)
    xh, _, hi = min_max_columns(steps, high, high, columns, x_range)
    xm, mlo, mhi = min_max_columns(steps, median, median, columns, x_range)
    if not (len(x) and len(xh) and len(xm)):
        picture.message = "per-parameter LR: known after the first update (press n)"
        return picture
    plain = PLAIN_MARKERS if no_color else {}
    picture.lines.append(Line(xh, hi, color=SPREAD_COLORS["max"], label="max", marker=plain.get("max")))
    picture.lines.append(Line(xm, 0.5 * (mlo + mhi), color=run_color(run), label="median", marker=plain.get("median")))
    picture.lines.append(Line(x, lo, color=SPREAD_COLORS["min"], label="min", marker=plain.get("min")))
    sim, local = exp.locate(run)
    lx, llo, lhi = (lr_columns or RunningColumns()).update(sim.history, "lr", local, columns, x_range)
    if len(lx):
        picture.lines.append(Line(lx, np.sqrt(llo * lhi), color="muted", label="lr", marker=plain.get("lr", "dot")))
    spread = hi[-1] / lo[-1] if lo[-1] > 0 else np.nan
    if np.isfinite(spread):
        extra = f"  max/min now {spread:.3g}"
        if len(picture.title) + len(extra) <= width - 2:
            picture.title += extra
    return picture


class AdaptivePanel(Panel, Chart):
    """The spread of the focused run's per-parameter learning rates, on a log axis."""

    picture: Picture | None = None

    def __init__(self, *args, left: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.left = left  # the copy in the left column, in the LR chart's place, for windows under CROWDED rows

    def applies(self, view) -> bool:
        # It shows the nominal LR too, so where the side column has no room it takes the LR chart's place.
        return adaptive_applies(view.session) and (view.height < CROWDED) == self.left

    def redraw(self, view) -> None:
        session = view.session
        width = self.size.width or 60
        if self.unchanged(input_key(session, width, session.focused, self.ascii_only)):
            return
        if not hasattr(self, "_lr_columns"):
            self._lr_columns = RunningColumns()  # the nominal LR, reduced as it grows
        self.picture = adaptive_picture(session, width, self.ascii_only, self.palette.no_color, self._lr_columns)
        self.show(self.picture)
