"""A healthy run whose loss climbed far above its start in its first steps, for its verdict's explanation.

The checks judge where a run is and what other LRs would do from there or from the start; none of them says that a
run's own first steps overshot. Two lessons turn on exactly that: warmup-cosine's run without warmup jumps from
0.697 to 4.6 in two steps and never recovers within the budget, and was told only "improving" (walkthrough 23a,
Y16). A run that got far below its start after its climb (lesson 2's fix, from 12.5 to 467 and then to 1e-3) is
past it, and gets no note. The note states what the curve did, in numbers, and what usually prevents it. It reads the run's public view only,
and changes no verdict.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.diagnostics.wording import fmt

HEALTHY = ("improving",)  # a converged run lost nothing by its climb
# Display only: a climb counts when the distance to the floor grew CLIMB times over its start within the first
# EARLY steps: the first steps' overshoot that a warmup is for, not a large LR's later hops between dimples (lesson
# 5's cosine run climbs at step 27 on its way out of its dimple, which is that lesson's point).
CLIMB = 2.0
EARLY = 10
# ... and only for a run still above STILL of its starting gap, which the climb may have cost it: a run far below its
# start (lesson 2's fix, at 1e-4 of it; lesson 5's cosine run, out of its dimple) got past its climb.
STILL = 0.1


def early_climb(view) -> tuple[int, float, float, float] | None:
    """(step, peak, first, now) where the run's loss climbed CLIMB times its starting gap early on, or None."""
    if view.diverged_at >= 0:
        return None
    x, y = view.history.series("loss")
    if len(y) < 3 or not math.isfinite(float(y[0])):
        return None
    floor = view.loss_function.min_value
    floor = 0.0 if floor is None or not math.isfinite(floor) else float(floor)
    first = float(y[0])
    gap = first - floor
    if not gap > 0:
        return None
    window = np.flatnonzero(x <= EARLY)
    if window.size < 2:
        return None
    with np.errstate(invalid="ignore"):
        k = int(window[np.nanargmax(y[window])])
    peak = float(y[k])
    now = float(view.loss)
    if not (math.isfinite(peak) and peak - floor > CLIMB * gap and math.isfinite(now) and now < peak
            and now - floor > STILL * gap):
        return None
    return int(x[k]), peak, first, now


def climb_note(experiment, run: int, code: str) -> str:
    """The paragraph, or "" where the run is not healthy or did not climb early."""
    if code not in HEALTHY:
        return ""
    found = early_climb(experiment.view(run))
    if found is None:
        return ""
    step, peak, first, now = found
    return (f"Its loss climbed from {fmt(first)} to {fmt(peak)} by step {step:,}, then came down: its first steps were "
            "too large for where it started, and overshot. A run can still train after such a climb (it may land "
            f"somewhere flatter), but this one is at {fmt(now)} now, not far below its start: the climb may have cost "
            "it much of its budget. A warmup, which starts the LR small and raises it over the first steps (s "
            "reaches a linear warmup), or a smaller LR avoids the climb; the checks above do not try a warmup.")
