"""The learning rate: what each run has used so far, and the schedule's plan for the rest.

The plan runs to the end of the step budget (a million steps, say), so it is
reduced to the plot's columns once, a block of steps at a time, and kept until
the run's schedule, base LR, LR scale or the plot's geometry change. Each frame
then only recomputes the column the current step falls in.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.decimate import RunningColumns, as_line, column_centers, column_of, reduce_into
from lrtui.core.schedules import build_lr_plan
from lrtui.tui.palette import MARKER, PLAN_COLOR, run_color
from lrtui.tui.widgets.chart import Chart, Line, Picture
from lrtui.tui.widgets.loss_panel import input_key
from lrtui.tui.widgets.panel import Panel

PLAN_BLOCK = 1 << 16  # steps per block when reducing a plan to columns


def _edges(columns: int, x_range: tuple[float, float]) -> np.ndarray:
    x0, x1 = x_range
    return x0 + np.arange(columns) * max(x1 - x0, 1e-300) / columns


class PlannedLR:
    """Each run's planned LR at column resolution: exactly what min_max_columns of Simulation.planned_lr gives."""

    def __init__(self):
        self._plans: dict[int, tuple] = {}  # run -> (key, first step, lo, hi) for steps first..end
        self._schedules: dict[tuple, object] = {}

    def _schedule(self, name: str, params: dict):
        key = (name, repr(sorted(params.items())))
        if key not in self._schedules:
            self._schedules[key] = build_lr_plan(name, params)
        return self._schedules[key]

    def line(self, exp, run: int, end: int, columns: int, x_range: tuple[float, float]):
        """(x, low, high) of the plan for steps now..end, or empty arrays when there is nothing after now."""
        sim, local = exp.locate(run)
        now = sim.step_count
        if end <= now:
            return np.empty(0), np.empty(0), np.empty(0)
        spec = sim.specs[local]
        schedule, controller = self._schedule(spec.schedule, spec.schedule_params)
        offset, scale = int(sim.schedule_offset[local]), float(sim.lr_scale[local])
        base = float(spec.optimizer_params["lr"])
        if controller is not None or sim.diverged_at[local] >= 0:
            # Plateau cannot be planned (it depends on future losses) and a diverged run is frozen: hold the value.
            def lrs(first, count):
                return np.full(count, float(sim.lr_now[local]))
        else:
            def lrs(first, count):
                return schedule.lr_block(first - offset, count, base) * scale
        if end - now + 1 <= columns:  # few enough steps to draw one by one
            values = lrs(now, end - now + 1)
            keep = np.isfinite(values)
            return np.arange(now, end + 1, dtype=np.float64)[keep], values[keep], values[keep]
        edges = _edges(columns, x_range)
        first_column = int(column_of(np.array([float(now)]), columns, x_range)[0])
        held = controller is not None or sim.diverged_at[local] >= 0
        key = (id(sim), local, spec.schedule, repr(sorted(spec.schedule_params.items())), offset, base, scale,
               float(sim.lr_now[local]) if held else None, end, columns, x_range)
        cached = self._plans.get(run)
        if cached is None or cached[0] != key or cached[1] > now:
            lo, hi = np.full(columns, np.inf), np.full(columns, -np.inf)
            for first in range(now, end + 1, PLAN_BLOCK):
                count = min(PLAN_BLOCK, end + 1 - first)
                steps = np.arange(first, first + count, dtype=np.float64)
                values = lrs(first, count)
                reduce_into(lo, hi, column_of(steps, columns, x_range), values, values)
            self._plans[run] = cached = (key, now, lo, hi)
        lo, hi = cached[2].copy(), cached[3].copy()
        lo[:first_column], hi[:first_column] = np.inf, -np.inf
        # The current column also holds steps already taken: recompute it from now on.
        stop = end + 1 if first_column + 1 >= columns else min(end + 1, int(np.ceil(edges[first_column + 1])))
        lo[first_column], hi[first_column] = np.inf, -np.inf
        if stop > now:
            values = lrs(now, stop - now)
            reduce_into(lo, hi, np.full(stop - now, first_column), values, values)
        keep = np.isfinite(lo) & np.isfinite(hi)
        return column_centers(columns, x_range)[keep], lo[keep], hi[keep]


class LRPanel(Panel, Chart):
    """Learning rate against step, with the planned schedule after the current step."""

    def applies(self, view) -> bool:
        from lrtui.tui.widgets.adaptive_panel import CROWDED, adaptive_applies

        return not (view.height < CROWDED and adaptive_applies(view.session))  # the effective LRs show it instead

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._planned = PlannedLR()
        self._used: dict[int, RunningColumns] = {}

    def lr_picture(self, session, width: int) -> Picture:
        exp = session.experiment
        columns = max(10, 2 * width)
        end = max(session.scenario.steps, exp.step_count)
        x_range = (0.0, float(max(end, 1)))
        picture = Picture(log_y=True, x_range=x_range)
        for run in range(exp.n_runs):
            sim, local = exp.locate(run)
            used = self._used.setdefault(run, RunningColumns())
            x, low, high = used.update(sim.history, "lr", local, columns, x_range)
            picture.lines.append(Line(*as_line(x, low, high), color=run_color(run, exp.diverged_at(run) >= 0),
                                      marker=self.palette.run_marker(run)))
            x, low, high = self._planned.line(exp, run, end, columns, x_range)
            if len(x):
                picture.lines.append(Line(*as_line(x, low, high), color=PLAN_COLOR,
                                          marker="dot"))
        picture.vlines.append((exp.step_count, MARKER))
        lr = exp.current(session.focused)["lr"]
        picture.title = f"learning rate (log10)   now {lr:.4g}"
        return picture

    def redraw(self, view) -> None:
        session = view.session
        width = self.size.width or 80
        if not self.unchanged(input_key(session, width, session.focused)):
            self.show(self.lr_picture(session, width))
