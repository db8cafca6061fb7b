"""A run on the screen that did much better at a larger LR than the checks may try, for a healthy verdict's
explanation.

The checks of a slow SGD-family run try larger LRs only up to 90% of the stable limit where it is (the
contracts' cap: past it a run usually bounces out of its valley). On a loss whose sharpness changes from place
to place a run past that limit can get through, and in lesson 2 one did, on the same screen: the safe run's
"a larger LR helped only a little" sat beside run 0 at lr 0.00203, 4,000 times lower (walkthrough 16b, K2).
The note says so, with both runs' numbers, and why the checks did not try that LR. It reads the runs through
their public views only.
"""

from __future__ import annotations

import math

from lrtui.core.diagnostics.trials import CAP_SHARE
from lrtui.tui.widgets.adaptive_panel import is_adaptive

HEALTHY = ("improving",)  # a run told it is fine, or slow with nothing much better found
MUCH = 10.0  # "much lower": ten times closer to the floor, as the checks count it


def _settings(spec) -> tuple:
    """What a run is apart from its LR: the optimizer with its other settings, and the schedule."""
    params = tuple(sorted((k, repr(v)) for k, v in spec.optimizer_params.items() if k != "lr"))
    return spec.optimizer, params, spec.schedule, repr(sorted(spec.schedule_params.items()))


def beside_note(experiment, run: int, code: str) -> str:
    """The paragraph, or "" where no other run did much better at an LR past the checks' cap."""
    if code not in HEALTHY:
        return ""
    me = experiment.view(run)
    if me.diverged_at >= 0 or is_adaptive(me.spec.optimizer):
        return ""
    floor = me.loss_function.min_value
    if floor is None:
        return ""
    gap = me.loss - floor
    here = experiment.gauge_here(run)  # the checks' larger LRs stop at CAP_SHARE of the limit where this run is
    cap = CAP_SHARE * me.lr / here if math.isfinite(here) and here > 0 else math.nan
    best = None
    for other in range(experiment.n_runs):
        view = experiment.view(other)
        if (other == run or view.loss_function is not me.loss_function or view.diverged_at >= 0
                or _settings(view.spec) != _settings(me.spec) or not view.lr > me.lr):
            continue
        if not (math.isfinite(view.loss) and MUCH * (view.loss - floor) <= gap):
            continue
        if not view.lr > cap:  # under the cap the checks could have tried it themselves
            continue
        if best is None or view.loss < experiment.view(best).loss:
            best = other
    if best is None or not gap > 0:
        return ""
    other = experiment.view(best)
    return (f"Beside it, run {best} uses a larger LR, {other.lr:.3g} now ({100 * experiment.gauge(best):.0f}% of "
            f"the stable limit at the sharpest point it met), and is at loss {other.loss:.3g}, against this run's "
            f"{me.loss:.3g}. The checks above try larger LRs only up to {100 * CAP_SHARE:.0f}% of the stable limit "
            f"where this run is ({CAP_SHARE:g} x {cap / CAP_SHARE:.3g} = {cap:.3g}), since past it a run usually "
            "bounces out of its valley; where the sharpness changes from place to place, as here, a run past it "
            "can get through, and a little more can diverge.")
