"""The floor of a loss that states none, as the contracts define it: min(0, the lowest loss seen by any run
simulated for the case), where the runs are the case itself, its grid of LRs (lr x 10^(k/4), k = -12..12, the
schedule kept), S1 and S2 when it is scheduled (the peak held, cosine over the budget) and M (SGD with momentum
0.9 at each grid LR, constant).

The monitor's own floor for such a loss is min(0, the run's best loss): it has not seen what the other runs
reach. A higher floor makes "much lower" easier on both counts (a tenth of the gap, and half the starting gap
closer), so a check judged against it can find a fix that helps where the contract's floor says it does not
(fresh6 seed 8536: a formula with a minimum near -1.25; the run's floor 0 lets holding the peak LR end "half
the starting gap closer", M's runs reach -0.22 and then it is 0.47 of it, not 0.5). So once a check on such a
loss finds a fix that helps, the contract's runs are simulated from the start over the whole budget, once per
run (kept: a loss seen stays a loss seen), and every check of that run is judged again against the lower floor.
Only checks that found help pay for it; a lower floor can only take help away, never add it.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.diagnostics.fixes import GRID_ALL
from lrtui.core.diagnostics.fixes import started_at
from lrtui.core.diagnostics.trials import Check, horizon_for
from lrtui.core.run_spec import Change, own_lr_scale, with_change

M_MOMENTUM = 0.9  # the contracts' M: SGD with this momentum at each grid LR, constant schedule
UNSEEN = ("stays_blown_up", "stays_stuck")  # looks ahead at the unchanged run: nothing is tried, no help found


class SeenFloors:
    """Each run's contract floor once measured (run -> floor), for a loss with no known floor (`active`)."""

    def __init__(self, sim, budget: int | None, active: bool):
        self.sim, self.budget, self.active = sim, budget, active
        self.floors: dict[int, float] = {}

    def lower(self, checks: list[Check], e) -> None:
        """Judge `checks` against the contract's floor: for every run with a check whose fix helps (against the
        floor it was made with), measure that floor (once) and lower every check of the run to it."""
        if not self.active or self.budget is None or not checks:
            return
        wanted = sorted({c.run for c in checks if c.code not in UNSEEN and c.outcomes and c.best()[0] is not None})
        self._measure([run for run in wanted if run not in self.floors], e, int(self.budget))
        for check in checks:
            floor = self.floors.get(check.run)
            if floor is None:
                continue
            seen = [loss for _, loss in check.outcomes if math.isfinite(loss)]
            seen += [x for x in (check.baseline, check.current) if math.isfinite(x)]
            check.floor = min(check.floor, floor, *seen)

    def _measure(self, runs: list[int], e, budget: int) -> None:
        if not runs or horizon_for(self.sim, budget) < budget:
            return  # a model's whole budget is too dear to replay (and a model's floor is 0 anyway)
        specs, owners = [], []
        for run in runs:
            lrs = np.asarray(self.sim.history.series("lr", run)[1], dtype=np.float64)
            if not (lrs.size and math.isfinite(lrs[0]) and lrs[0] > 0):
                continue
            start_lr, origin = float(lrs[0]), self.sim.origins[run]
            scale = own_lr_scale(origin, start_lr)  # M's LRs: the case's own lr scale, not the warm-up's first LR
            fixes: list[dict] = [{"optimizer.lr": start_lr * 10.0 ** (k / 4)} for k in GRID_ALL if k != 0]
            fixes += [{"optimizer.type": "sgd", "optimizer.momentum": M_MOMENTUM, "schedule.type": "constant",
                       "optimizer.lr": scale * 10.0 ** (k / 4)} for k in GRID_ALL]
            if bool(e.scheduled[run]):
                peak = float(e.schedule_peak[run])
                fixes += [{"schedule.type": "constant", "optimizer.lr": peak},
                          {"schedule.type": "cosine", "schedule.T_max": budget,
                           "optimizer.lr": float(own_lr_scale(origin, peak))}]
            specs += [started_at(origin, fix, start_lr) or origin.copy(changes=with_change(origin.changes, Change(0, fix)))
                      for fix in fixes]
            owners += [run] * len(fixes)
        if not specs:
            return
        twin = self.sim.restarted(specs, runs=owners)
        low = np.full(len(specs), np.inf)
        with np.errstate(all="ignore"):
            for t in range(budget + 1):  # the lowest at any step, as the contract reads it
                loss = np.asarray(twin.loss_now, dtype=np.float64)
                np.minimum(low, np.where(np.isfinite(loss) & (twin.diverged_at < 0), loss, np.inf), out=low)
                if t < budget:
                    twin.step(1)
        owners_arr = np.asarray(owners)
        for run in set(owners):
            best = float(np.min(low[owners_arr == run]))
            self.floors[run] = min(0.0, float(e.best[run]), best if math.isfinite(best) else 0.0)
