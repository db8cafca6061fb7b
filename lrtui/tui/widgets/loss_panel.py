"""The loss curve of every run, with markers where the user or the schedule changed the LR.

Grey lines mark the user's changes (LR, optimizer, schedule, fork); yellow ones the
schedule's own moves (warmup end, decays, restarts, plateau cuts)."""

from __future__ import annotations

import numpy as np

from lrtui.core.decimate import as_line, min_max_columns
from lrtui.core.smoothing import debiased_ema
from lrtui.tui.palette import MARKER, SCHEDULE_MARKER, run_color
from lrtui.tui.widgets.chart import Chart, Line, Picture
from lrtui.tui.widgets.theory_overlay import theory_lines

MARKED_EVENTS = ("lr", "optimizer", "schedule", "fork")


def loss_picture(session, width: int) -> Picture:
    exp = session.experiment
    columns = max(10, 2 * width)  # braille packs two points per cell
    x_range = (0.0, float(max(session.scenario.steps, exp.step_count, 1)))
    picture = Picture(log_y=session.log_scale, x_range=x_range)
    picture.lines.extend(theory_lines(session, x_range, columns))  # first, so the real curves draw over it
    span_low, span_high = np.inf, -np.inf
    for run in range(exp.n_runs):
        env = exp.envelope(run, "loss")
        x, low, high = min_max_columns(env.step_end, env.low, env.high, columns, x_range)
        diverged = exp.diverged_at(run) >= 0
        color = run_color(run, diverged)
        label = exp.labels[run] + (" (diverged)" if diverged else "")
        if session.smoothing and len(x):
            picture.lines.append(Line(*as_line(x, low, high), color="gray"))
            middle = debiased_ema(0.5 * (low + high), 0.6)
            picture.lines.append(Line(x, middle, color=color, label=label))
        else:
            picture.lines.append(Line(*as_line(x, low, high), color=color, label=label))
        if session.experiment.loss_of(run).is_model:
            test = exp.envelope(run, "test_loss")
            tx, tlo, thi = min_max_columns(test.step_end, test.low, test.high, columns, x_range)
            picture.lines.append(Line(tx, 0.5 * (tlo + thi), color=color, label=f"{exp.labels[run]} test",
                                      marker="dot"))
        finite = low[np.isfinite(low) & (low > 0)]
        if finite.size:
            span_low, span_high = min(span_low, finite.min()), max(span_high, high[np.isfinite(high)].max())
    for event in exp.events:
        if event.kind in MARKED_EVENTS:
            picture.vlines.append((event.step, MARKER))
        elif event.kind == "plateau_cut":
            picture.vlines.append((event.step, SCHEDULE_MARKER))
    for run in range(exp.n_runs):
        sim, local = exp.locate(run)
        for step, _kind in sim.schedule_events(local, int(x_range[1])):
            picture.vlines.append((step, SCHEDULE_MARKER))
    scale = "log10" if session.log_scale else "linear"
    picture.title = f"loss ({scale})"
    if not session.log_scale and np.isfinite(span_low) and span_high / span_low > 100:
        picture.title += "  - spans over two decades: press l for log scale"
    return picture


class LossPanel(Chart):
    """Loss against step for every run."""

    def redraw(self, session) -> None:
        self.show(loss_picture(session, self.size.width or 80))
