"""The learning rate: what each run has used so far, and the schedule's plan for the rest.

The plan is the engine's (`RunView.lr_block`: the schedule's LRs ahead, held where they cannot be
planned). It runs to the end of the step budget (a million steps, say), so it is reduced to the
plot's columns once, a block of steps at a time, and kept until the plan (`RunView.plan_key`) or
the plot's geometry change. Each frame then only recomputes the column the current step falls in.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.decimate import as_line, column_centers, column_of, reduce_into
from lrtui.tui.palette import MARKER, PLAN_COLOR, run_color

DASH, DASH_GAP = 6, 2  # points on, then off: the planned LR's dashes
DASHED_RUNS = 3  # with more runs, the plans stay whole-cell dots: a dash is a line to draw, and lesson 22's eight
# plans in dashes made a key wait 80 ms while playing (tests/tui/test_app_keys_latency.py)
from lrtui.tui.view import ViewColumns
from lrtui.tui.widgets.chart import Chart, Line, Picture
from lrtui.tui.widgets.panel import Panel

PLAN_BLOCK = 1 << 16  # steps per block when reducing a plan to columns
# The axis is linear where that shows the schedules' shapes: the runs' peak LRs within LINEAR_SPREAD of each other,
# and at most LINEAR_LOW_SHARE of the columns under LINEAR_LOW of the highest peak (there a linear axis shows 0).
# On a log axis lesson 9's half a cosine was a flat line with a cliff at the end (walkthrough 19a, Q4); exponential
# decay and cuts by tenths stay log, where each cut is a step of its own. Peaks tenfold apart were too far: on a
# chart of four rows, lesson 3's good run at 0.05 beside 0.5 was drawn on the "0.00" row (walkthrough 20a, S1).
LINEAR_SPREAD, LINEAR_LOW, LINEAR_LOW_SHARE = 2.0, 0.01, 0.15
PLATEAU_NOTE = "  plateau cuts unplanned"


class PlanLine(Line):
    """A line of a run's planned LR (a dash of it, or its dots): what a test or a reader tells from the LR used."""


def linear_fits(lines: list[list[np.ndarray]]) -> bool:
    """Whether a linear axis shows these runs' LRs (per run, its arrays of LRs drawn) as LINEAR_* describes."""
    peaks = [max((float(np.nanmax(y)) for y in run if len(y)), default=np.nan) for run in lines]
    if not peaks or not all(np.isfinite(p) and p > 0 for p in peaks) or max(peaks) > LINEAR_SPREAD * min(peaks):
        return False
    values = np.concatenate([y for run in lines for y in run if len(y)])
    with np.errstate(invalid="ignore"):
        return bool(np.mean(values < LINEAR_LOW * max(peaks)) <= LINEAR_LOW_SHARE)


def _edges(columns: int, x_range: tuple[float, float]) -> np.ndarray:
    x0, x1 = x_range
    return x0 + np.arange(columns) * max(x1 - x0, 1e-300) / columns


class PlannedLR:
    """Each run's planned LR at column resolution: exactly what min_max_columns of the view's planned_lr gives.

    The plan itself is the engine's (`RunView.lr_block`); this only reduces it to columns, once per plan
    (`RunView.plan_key`) and plot geometry, and then recomputes the column of the current step each frame."""

    def __init__(self):
        self._plans: dict[int, tuple] = {}  # run -> (key, first step, lo, hi) for steps first..end
        self._tails: dict[int, tuple] = {}  # run -> (key, first step, running lo, hi) of the current column

    def line(self, view, end: int, columns: int, x_range: tuple[float, float]):
        """(x, low, high) of the plan for steps now..end, or empty arrays when there is nothing after now."""
        now = view.step
        if end <= now:
            return np.empty(0), np.empty(0), np.empty(0)
        lrs = view.lr_block
        if end - now + 1 <= columns:  # few enough steps to draw one by one
            values = lrs(now, end - now + 1)
            keep = np.isfinite(values)
            return np.arange(now, end + 1, dtype=np.float64)[keep], values[keep], values[keep]
        edges = _edges(columns, x_range)
        first_column = int(column_of(np.array([float(now)]), columns, x_range)[0])
        key = (view.plan_key, end, columns, x_range)
        cached = self._plans.get(view.run)
        if cached is None or cached[0] != key or cached[1] > now:
            lo, hi = np.full(columns, np.inf), np.full(columns, -np.inf)
            for first in range(now, end + 1, PLAN_BLOCK):
                count = min(PLAN_BLOCK, end + 1 - first)
                steps = np.arange(first, first + count, dtype=np.float64)
                values = lrs(first, count)
                reduce_into(lo, hi, column_of(steps, columns, x_range), values, values)
            self._plans[view.run] = cached = (key, now, lo, hi)
        lo, hi = cached[2].copy(), cached[3].copy()
        lo[:first_column], hi[:first_column] = np.inf, -np.inf
        # The current column also holds steps already taken: recompute it from now on.
        stop = end + 1 if first_column + 1 >= columns else min(end + 1, int(np.ceil(edges[first_column + 1])))
        lo[first_column], hi[first_column] = np.inf, -np.inf
        if stop > now:
            # The column's plan from each step on, as running extremes from its end, once per column: a long
            # budget's column holds thousands of steps, and taking them again each frame held up the keys
            tail_key = (key, first_column, stop)
            tail = self._tails.get(view.run)
            if tail is None or tail[0] != tail_key or tail[1] > now:
                values = lrs(now, stop - now)
                low = np.minimum.accumulate(np.where(np.isfinite(values), values, np.inf)[::-1])[::-1]
                high = np.maximum.accumulate(np.where(np.isfinite(values), values, -np.inf)[::-1])[::-1]
                self._tails[view.run] = tail = (tail_key, now, low, high)
            lo[first_column], hi[first_column] = tail[2][now - tail[1]], tail[3][now - tail[1]]
        keep = np.isfinite(lo) & np.isfinite(hi)
        return column_centers(columns, x_range)[keep], lo[keep], hi[keep]


class LRPanel(Panel, Chart):
    """Learning rate against step, with the planned schedule after the current step.

    In a window under CROWDED rows, where the side column has no room for the effective-LR panel, the
    focused run's largest and smallest per-parameter LR (adaptive optimizers) are drawn here too, so that
    the planned schedule and the step sizes it really gives both stay in view."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._planned = PlannedLR()
        self._used: dict[int, ViewColumns] = {}
        self._early = None

    def lr_picture(self, view, width: int, merged: bool = False) -> Picture:
        """Every run's LR so far and its plan. `merged` (a short window's effective-LR mode): only the runs with
        the focused run's optimizer, whose plans compare (lesson 19's two schedules), so that another
        optimizer's LR is not taken for one of the focused run's effective-LR lines (walkthrough 4: RMSProp's
        0.01 read as Adagrad's max)."""
        session = view.session
        exp = session.experiment
        columns = max(10, 2 * width)
        end = max(session.scenario.steps, exp.step_count)
        x_range = (0.0, float(max(end, 1)))
        picture = Picture(log_y=True, x_range=x_range)
        kind = exp.spec(session.focused).optimizer
        drawn: list[list[np.ndarray]] = []  # each run's LRs, used and planned: what decides the axis
        shown = [r for r in range(exp.n_runs) if not merged or exp.spec(r).optimizer == kind]
        # The focused run last, on top: where two runs' LRs share a text row, the later line hides the earlier
        # (walkthrough 21a, U1: at 80x24 one-cycle's rise was under the constant run's line)
        shown.sort(key=lambda r: r == session.focused)
        for run in shown:
            run_view = view.run(run)
            used = self._used.setdefault(run, ViewColumns())
            x, low, high = used.update(run_view.history, "lr", columns, x_range)
            picture.lines.append(Line(*as_line(x, low, high), color=run_color(run, run_view.diverged_at >= 0),
                                      marker=self.palette.run_marker(run)))
            drawn.append([low, high])
            x, low, high = self._planned.line(run_view, end, columns, x_range)
            drawn[-1] += [low, high]
            if len(x):
                # Dashed at the plot's own resolution: whole-cell dots drew lesson 8's exponential and lesson 9's
                # cosine as staircases before play, like step decay (walkthrough 18a, N4)
                px, py = as_line(x, low, high)
                if self.ascii_only or exp.n_runs > DASHED_RUNS:
                    picture.lines.append(PlanLine(px, py, color=PLAN_COLOR, marker="dot"))
                else:  # (the plot joins a line's points: each dash is a line of its own; the last one ends the plan)
                    # In the run's own colour, with short gaps: two grey plans in long dashes broke lesson 10's
                    # restarts into fragments mixed with the constant run's (walkthrough 21a, U2)
                    starts = list(range(0, len(px), DASH + DASH_GAP))
                    if starts[-1] + DASH < len(px):
                        starts.append(max(starts[-1] + DASH, len(px) - DASH))
                    color = PLAN_COLOR if merged else run_color(run, run_view.diverged_at >= 0)
                    picture.lines.extend(PlanLine(px[i:i + DASH], py[i:i + DASH], color=color) for i in starts)
        picture.vlines.append((exp.step_count, MARKER))
        now = f"now {view.focused.lr:.3g}"  # as the status line has it (19a, Q10: "1.798e-05" beside "1.8e-05")
        # plotext centres the title over the whole widget: a long one reaches the panel beside it (at 60x20
        # "now 0.1" ran into the gauge's "100.0┤" as "now 0.1100.0").
        if not merged and linear_fits(drawn):  # (merged, the effective LRs beside it span decades: log)
            picture.log_y = False
            top = max(float(np.nanmax(y)) for run in drawn for y in run if len(y))
            picture.y_range = (0.0, 1.2 * top)  # from 0 (an axis fitted to the data hid where 0 is), the top clear
        scale = "log10" if picture.log_y else "linear"
        long = f"learning rate ({scale})   {now}"
        # A plateau schedule cuts when the loss stalls, which no plan can know: its dashes stay flat (walkthrough
        # 22c, W5: read as "no schedule")
        unplanned = any(exp.spec(run).schedule == "plateau" for run in shown) and exp.step_count < end
        short = f"lr ({scale})  {now}"
        forms = ([long + PLATEAU_NOTE, short + PLATEAU_NOTE] if unplanned else []) + [long]
        picture.title = next((form for form in forms if width >= len(form) + 8), short)
        return picture

    def redraw(self, view) -> None:
        from lrtui.tui.widgets.adaptive_panel import CROWDED, adaptive_applies

        width = self.size.width or 80
        merged = view.height < CROWDED and adaptive_applies(view)
        if self.unchanged(view.key(width, view.session.focused, merged)):
            return
        exp = view.session.experiment
        if merged and all(exp.spec(run).schedule == "constant" for run in range(exp.n_runs)):
            # No schedule to plan: the effective-LR panel itself takes the chart, on its log step axis with the
            # other adaptive runs' medians (walkthroughs 13b B9, 14b: folded in here on a linear axis, Adagrad's
            # fall was one column wide and RMSProp's line was not there to compare)
            from lrtui.tui.widgets.adaptive_panel import adaptive_picture, spread_colors, subject_run

            palette = self.palette
            self.show(*adaptive_picture(view, width, self.ascii_only, palette.no_color, self._early_steps(),
                                        spread_colors(palette, subject_run(view), exp.n_runs)))
            return
        picture = self.lr_picture(view, width, merged=merged)
        self.show(picture, self._spread(view, picture, width) if merged else None)

    def _early_steps(self):
        """The replayed first steps of the focused run's effective LRs, kept between frames (made on first use)."""
        from lrtui.tui.widgets.adaptive_panel import EarlySteps

        if self._early is None:
            self._early = EarlySteps()
        return self._early

    def _spread(self, view, picture: Picture, width: int) -> list:
        """The focused run's largest and smallest effective LR added to the picture; the key row naming them."""
        from lrtui.tui.widgets.adaptive_panel import (PLAIN_MARKERS, effective_lines, key_row, spread_colors,
                                                      subject_run)

        no_color = self.palette.no_color
        subject = subject_run(view)
        colors = spread_colors(self.palette, subject, view.session.experiment.n_runs)
        lines = effective_lines(view, max(10, 2 * width), picture.x_range, no_color, self._early_steps(), colors)
        picture.lines.extend(lines)
        picture.legend = False
        run = view.session.focused
        plain = PLAIN_MARKERS if no_color else {}
        exp = view.session.experiment
        alike = sum(exp.spec(r).optimizer == exp.spec(run).optimizer for r in range(exp.n_runs))
        # The runs with the focused run's optimizer all draw their LR and plan here: the key says so (walkthrough
        # 13a, A8: "run 1 effective lr: ━ lr" over run 0's staircase to 1e-15 read as run 1's).
        entries = [("lr, every run" if alike > 1 else "lr", ("solid", run, self.palette.run_marker(run) if no_color
                                                            else None)),
                   ("planned", ("dotted", PLAN_COLOR, None))]
        if lines:
            entries += [("max", ("solid", colors["max"], plain.get("max"))),
                        ("min", ("solid", colors["min"], plain.get("min")))]
        # "effective lr" names what the lesson's task calls the effective-LR panel, drawn here in a short window
        lead = f"lr now {view.focused.lr:.3g}; " + (f"run {subject} effective lr per parameter: " if lines else "")
        key = key_row(entries, no_color, self.ascii_only, lead, "" if lines else "(per parameter after a step)",
                      width)
        picture.title = "".join(text for text, _ in key)
        return key
