"""The learning rate: what each run has used so far, and the schedule's plan for the rest."""

from __future__ import annotations

from lrtui.core.decimate import as_line, min_max_columns
from lrtui.tui.palette import MARKER, run_color
from lrtui.tui.widgets.chart import Chart, Line, Picture


def lr_picture(session, width: int) -> Picture:
    exp = session.experiment
    columns = max(10, 2 * width)
    end = max(session.scenario.steps, exp.step_count)
    x_range = (0.0, float(max(end, 1)))
    picture = Picture(log_y=True, x_range=x_range)
    now = exp.step_count
    for run in range(exp.n_runs):
        color = run_color(run, exp.diverged_at(run) >= 0)
        env = exp.envelope(run, "lr")
        x, low, high = min_max_columns(env.step_end, env.low, env.high, columns, x_range)
        picture.lines.append(Line(*as_line(x, low, high), color=color))
        steps, planned = exp.planned_lr(run, end)
        if len(steps) > 1:
            x, low, high = min_max_columns(steps, planned, planned, columns, x_range)
            picture.lines.append(Line(*as_line(x, low, high), color="gray", marker="dot"))
    picture.vlines.append((now, MARKER))
    lr = exp.current(session.focused)["lr"]
    picture.title = f"learning rate (log10)   now {lr:.4g}"
    return picture


class LRPanel(Chart):
    """Learning rate against step, with the planned schedule after the current step."""

    def redraw(self, session) -> None:
        self.show(lr_picture(session, self.size.width or 80))
