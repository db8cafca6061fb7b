"""Faint lines of the loss theory predicts, for runs of SGD on a quadratic, to draw behind the real curves.

The core computes the prediction from the learning rates each run really
used (lrtui.core.theory); a gap between the faint line and the run would mean
the simulation is not doing what the textbook says, so the two should overlap.
"""

from __future__ import annotations

from lrtui.core.decimate import min_max_columns
from lrtui.tui.widgets.chart import Line

THEORY_COLOR = "gray"
MAX_RUNS = 8  # a sweep of hundreds of runs would bury the real curves under predictions


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
        x, low, high = min_max_columns(steps, values, values, columns, x_range)
        if len(x) == 0:
            continue
        # The middle of each column: a dotted zig-zag would read as noise.
        lines.append(Line(x, 0.5 * (low + high), color=THEORY_COLOR, label=None if lines else "theory",
                          marker="dot"))
    return lines
