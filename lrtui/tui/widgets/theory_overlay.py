"""Faint lines of the loss theory predicts, for runs of SGD on a quadratic, to draw behind the real curves.

The core computes the prediction from the learning rates each run really
used (lrtui.core.theory); a gap between the faint line and the run would mean
the simulation is not doing what the textbook says, so the two should overlap.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.decimate import min_max_columns
from lrtui.tui.widgets.chart import Line

THEORY_COLOR = "gray"
MAX_RUNS = 8  # a sweep of hundreds of runs would bury the real curves under predictions
BEST_LABEL = "theory, best lr "  # the legend's words for it (the loss chart's title borrows them when it gives way)
BLOWS_UP = 1e6  # a prediction this many times the start is not drawn (the loss chart's BLOWN_UP)
FAR_BELOW = 0.1  # the focused run's LR under this share of the fastest one: its theory is drawn for reference


def theory_lines(session, x_range: tuple[float, float], columns: int) -> list[Line]:
    """One dotted grey line per quadratic SGD run (at most MAX_RUNS), the first labelled "theory"."""
    exp = session.experiment
    lines: list[Line] = []
    for run in range(exp.n_runs):
        if len(lines) == MAX_RUNS:
            break
        predicted = exp.theory_loss(run)
        if predicted is None:
            continue
        steps, values = predicted
        if not np.all(np.isfinite(values)) or values.max() > BLOWS_UP * values[0]:
            # A prediction of a blow-up: the run leaves the chart with an x, and 1e125 of dots set the axis for
            # nothing (walkthrough 15b, G4)
            continue
        x, low, high = min_max_columns(steps, values, values, columns, x_range)
        if len(x) == 0:
            continue
        # The middle of each column: a dotted zig-zag would read as noise.
        lines.append(Line(x, 0.5 * (low + high), color=THEORY_COLOR, label=None if lines else "theory",
                          marker="dot"))
    lines.extend(fastest_line(session, x_range, columns))
    return lines


def fastest_line(session, x_range: tuple[float, float], columns: int) -> list[Line]:
    """For a focused plain-SGD run on a quadratic whose LR is far below the fastest constant one, 2/(λmax + λmin):
    the loss theory predicts at that LR over the budget, dotted and labelled, so that "too low" has something
    to be low against (lesson 3: lr 0.0005 creeps from 1.59 to 1.08 where lr 0.667 reaches 1e-30)."""
    exp, run = session.experiment, session.focused
    steps = int(max(session.scenario.steps, exp.step_count))
    lr_now = float(exp.view(run).lr)
    fastest = exp.fastest_theory(run, steps)
    if fastest is None or not (lr_now < FAR_BELOW * fastest[0]):
        return []
    lr, values = fastest
    x, low, high = min_max_columns(np.arange(values.size, dtype=np.float64), values, values, columns, x_range)
    return [Line(x, 0.5 * (low + high), color=THEORY_COLOR, label=f"{BEST_LABEL}{lr:.3g}",
                 marker="dot")] if len(x) else []
