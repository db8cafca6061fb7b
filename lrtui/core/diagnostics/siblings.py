"""A sweep's runs are each other's counterfactuals: the same run at another LR, from the same start.

Runs whose specs match in everything but the LR (and label), and that nobody has changed since step 0, are
siblings. A claim about another LR ("a larger LR gets much lower") can then be read off the siblings at
this very step, without a trial, and no fix suggests an LR a sibling already showed to diverge.
"""

from __future__ import annotations

import json
import math

import numpy as np

from lrtui.core.diagnostics.trials import much_lower
from lrtui.core.diagnostics.types import Tried

SIDES = {"too_slow": 1, "oscillating": -1, "diverged": -1}  # which LRs answer the claim: larger, or smaller
MIN_SIBLINGS = 2  # on that side, to count as evidence


class Siblings:
    def __init__(self, sim):
        self.sim = sim
        self.refresh()

    def refresh(self) -> None:
        sim = self.sim
        keys: dict[str, int] = {}
        n = sim.n_runs
        self.group = np.full(n, -1, dtype=np.int64)
        self.base_lr = np.full(n, np.nan)
        self.scheduled = np.array([spec.schedule != "constant" for spec in sim.specs], dtype=bool)
        for run, origin in enumerate(sim.origins):
            if origin.changes or sim.edits[run]:
                continue
            params = {k: v for k, v in origin.optimizer_params.items() if k != "lr"}
            start = None if origin.start is None else np.asarray(origin.start).tolist()
            key = json.dumps([origin.optimizer, params, origin.schedule, origin.schedule_params, start],
                             sort_keys=True, default=str)
            self.group[run] = keys.setdefault(key, len(keys))
            self.base_lr[run] = float(origin.optimizer_params["lr"])
        counts = np.bincount(self.group[self.group >= 0], minlength=len(keys)) if keys else np.zeros(0, int)
        alone = (self.group >= 0) & (counts[np.maximum(self.group, 0)] < 2) if keys else self.group >= 0
        self.group[alone] = -1

    def _members(self, run: int) -> np.ndarray:
        g = self.group[run]
        if g < 0:
            return np.empty(0, dtype=np.int64)
        members = np.flatnonzero(self.group == g)
        return members[members != run]

    def diverged_lrs(self, run: int) -> np.ndarray:
        """The LRs of this run's siblings that diverged (no fix suggests one of them, or more)."""
        members = self._members(run)
        bad = members[self.sim.diverged_at[members] >= 0]
        return self.base_lr[bad]

    def evidence(self, run: int, code: str, e, frame) -> Tried | None:
        """The siblings' verdict on a claim, as a Tried (from the start, up to now), or None if they cannot say."""
        side = SIDES.get(code)
        members = self._members(run)
        if side is None or not members.size or not math.isfinite(self.base_lr[run]):
            return None
        lr = self.base_lr[run]
        lrs = self.base_lr[members]
        pick = members[(lrs > lr) if side > 0 else (lrs < lr)]
        if side > 0:  # a larger LR counts up to the stable limit (as the largest sharpness met says) and below
            ceiling = self.diverged_lrs(run)  # any LR a sibling diverged at
            cap = 0.9 * float(e.lr_limit[run]) if math.isfinite(e.lr_limit[run]) else math.inf
            cap = min(cap, float(ceiling.min()) if ceiling.size else math.inf)
            pick = pick[self.base_lr[pick] <= cap]
        if pick.size < MIN_SIBLINGS:
            return None
        loss = np.where((frame.diverged_at[pick] >= 0) | ~np.isfinite(e.loss[pick]), np.inf, e.loss[pick])
        best = int(np.argmin(loss))
        floor, first = float(e.floor[run]), float(e.first[run])
        own = float(e.loss[run])
        diverged = bool(frame.diverged_at[run] >= 0 or not math.isfinite(own) or e.blown_up[run])
        found = float(loss[best])
        if diverged:
            helped = math.isfinite(found) and found < first
        else:
            helped = much_lower(found, own, floor, first)
        return Tried({"optimizer.lr": float(self.base_lr[pick[best]])}, 0, int(frame.step), found,
                     math.inf if diverged else own, diverged, helped)
