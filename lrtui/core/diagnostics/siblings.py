"""A sweep's runs are each other's counterfactuals: the same run at another LR, from the same start.

Runs whose specs match in everything but the LR (and label), and that nobody has changed since step 0, are
siblings. A claim about another LR ("a larger LR gets much lower") can then be read off the siblings at
this very step, without a trial, and no fix suggests an LR a sibling already showed to diverge. A sweep of
a thousand runs answers all its claims with a few array operations per checkpoint.
"""

from __future__ import annotations

import json
import math

import numpy as np

from lrtui.core.diagnostics.trials import much_lower
from lrtui.core.diagnostics.types import Tried

SIDES = {"too_slow": 1, "oscillating": -1}  # which LRs answer the claim: larger, or smaller
MIN_SIBLINGS = 2  # on that side, to count as evidence
EARLY = 0.1  # before this fraction of the budget, the siblings are too young to tell how the runs will end
WAIT = object()  # the siblings will answer, but not yet


class Siblings:
    def __init__(self, sim, book=None):
        self.sim = sim
        self.book = book  # the monitor's CheckBook: what the checks found for each sibling (for chain_fix)
        self._diverged_seen = 0  # how many runs had diverged when reopen_past_ceiling last looked
        self.refresh()

    def reopen_past_ceiling(self) -> None:
        """A claim whose fix sets an LR at or above one a sibling has since diverged at is checked again (the claim
        stands until then; the new check leaves those LRs out). Lesson 22's run at lr 0.1 diverged at step 4 and was
        told 0.0074, tried and fine, before the run at 0.0072 diverged at step 20 (walkthrough 10b, D64): no fix
        suggests an LR a neighbour showed to diverge, or more. Looked at only when another run has diverged."""
        book, sim = self.book, self.sim
        count = int(np.count_nonzero(sim.diverged_at >= 0))
        if book is None or count == self._diverged_seen:
            return
        self._diverged_seen = count
        for claim, tried_runs in book.tried.items():
            for run in np.flatnonzero(book.has[claim] & book.holds[claim]).tolist():
                tried = tried_runs[run]
                lr = (tried.fix or {}).get("optimizer.lr") if tried is not None else None
                ceiling = self.diverged_lrs(run)
                if lr is not None and ceiling.size and lr >= float(ceiling.min()):
                    book.has[claim][run] = False

    def refresh(self) -> None:
        sim = self.sim
        keys: dict[str, int] = {}
        n = sim.n_runs
        self.group = np.full(n, -1, dtype=np.int64)
        self.base_lr = np.full(n, np.nan)
        self.scheduled = np.array([spec.schedule != "constant" for spec in sim.specs], dtype=bool)
        member = sim.loss.members_of(n)  # runs of different losses (stacked) are not each other's siblings
        for run, origin in enumerate(sim.origins):
            if origin.changes or sim.edits[run]:
                continue
            params = {k: v for k, v in origin.optimizer_params.items() if k != "lr"}
            start = None if origin.start is None else np.asarray(origin.start).tolist()
            key = json.dumps([origin.optimizer, params, origin.schedule, origin.schedule_params, start,
                              int(member[run])], sort_keys=True, default=str)
            self.group[run] = keys.setdefault(key, len(keys))
            self.base_lr[run] = float(origin.optimizer_params["lr"])
        counts = np.bincount(self.group[self.group >= 0], minlength=len(keys)) if keys else np.zeros(0, int)
        alone = (self.group >= 0) & (counts[np.maximum(self.group, 0)] < 2) if keys else self.group >= 0
        self.group[alone] = -1
        # Each group's runs in order of LR.
        self._groups = {}
        for g in sorted(set(self.group[self.group >= 0].tolist())):  # (np.unique imports numpy.ma: 8 ms a process)
            members = np.flatnonzero(self.group == g)
            self._groups[g] = members[np.argsort(self.base_lr[members], kind="stable")]

    def diverged_lrs(self, run: int) -> np.ndarray:
        """The LRs of this run's siblings that diverged, and those the run itself diverged at before a replay (no
        fix suggests one of them, or more)."""
        own = np.asarray(self.sim.origins[run].diverged_lrs, dtype=np.float64)
        members = self._groups.get(int(self.group[run]))
        if members is None:
            return own
        bad = members[(self.sim.diverged_at[members] >= 0) & (members != run)]
        return np.concatenate([self.base_lr[bad], own])

    def evidence(self, runs: np.ndarray, code: str, e, frame) -> dict:
        """The siblings' verdict on a claim for each of `runs`: a Tried (from the start, up to now), WAIT if they
        will answer but have not trained long enough yet; runs they cannot answer for are left out."""
        side = SIDES.get(code)
        out: dict = {}
        if side is None:
            return out
        runs = np.asarray(runs, dtype=np.int64)
        runs = runs[(self.group[runs] >= 0) & np.isfinite(self.base_lr[runs])]
        early = frame.step < EARLY * e.budget
        for g in sorted(set(self.group[runs].tolist())):
            members = self._groups[g]
            asking = runs[self.group[runs] == g]
            out.update(self._answer(members, asking, side, e, frame, early))
        return out

    def _answer(self, members, asking, side, e, frame, early) -> dict:
        lrs = self.base_lr[members]
        dead = (frame.diverged_at[members] >= 0) | ~np.isfinite(e.loss[members])
        loss = np.where(dead, np.inf, e.loss[members])
        position = np.searchsorted(lrs, self.base_lr[asking])  # where each asking run sits in its group
        if side > 0:
            # Larger LRs, up to the stable limit at each run's sharpness now, and below every LR a sibling
            # diverged at.
            dead_lrs = lrs[frame.diverged_at[members] >= 0]
            ceiling = dead_lrs.min() if dead_lrs.size else math.inf
            here = np.where(e.preconditioned[asking], math.inf, e.lr_limit_here[asking])  # as fixes_for
            with np.errstate(all="ignore"):
                cap = np.minimum(np.where(np.isfinite(here), 0.9 * here, math.inf), ceiling)
            first = np.searchsorted(lrs, self.base_lr[asking], side="right")
            last = np.searchsorted(lrs, cap, side="right")  # exclusive
        else:
            first = np.zeros(asking.size, dtype=np.int64)
            last = position
        count = last - first
        best, where = _range_min(loss, first, last)
        out: dict = {}
        for k, run in enumerate(asking.tolist()):
            if count[k] < MIN_SIBLINGS:
                continue
            if early:
                out[run] = WAIT
                continue
            found = float(best[k])
            floor, start, own = float(e.floor[run]), float(e.first[run]), float(e.loss[run])
            diverged = bool(frame.diverged_at[run] >= 0 or not math.isfinite(own))
            helped = (math.isfinite(found) and found < start) if diverged else much_lower(found, own, floor, start)
            lr = float(lrs[where[k]]) if where[k] >= 0 else math.nan
            # Judged on the smoothed losses; quoted at this very step, as the messages and the status line are.
            said = float(e.last_loss[members[where[k]]]) if where[k] >= 0 else found
            if side > 0 and where[k] >= 0:
                lr, said = self._chain(int(members[where[k]]), lr, said, min(float(cap[k]), ceiling), frame)
            out[run] = Tried({"optimizer.lr": lr}, 0, int(frame.step), said,
                             math.inf if diverged else float(e.last_loss[run]), diverged,
                             bool(helped and math.isfinite(lr)))
        return out

    def _chain(self, best: int, lr: float, loss: float, cap: float, frame) -> tuple[float, float]:
        """A too-slow run's fix is the sibling that ended best, unless that sibling is too slow itself and its
        own fix, tried from step 0 to the end on copies that differ from this run only in the LR, ended lower:
        then that LR (lesson 22: run 0 was sent to 0.0019, which the same screen calls too slow; its fix,
        0.003379, ends at 1.1e-06; walkthrough 7, D25)."""
        book = self.book
        tried = book.tried["too_slow"][best] if book is not None and book.holds["too_slow"][best] else None
        if (tried is None or tried.from_step != 0 or tried.end_step < frame.step or set(tried.fix) != {"optimizer.lr"}
                or not tried.helped or not tried.loss < loss or not tried.fix["optimizer.lr"] < cap):
            return lr, loss
        return float(tried.fix["optimizer.lr"]), float(tried.loss)


def _range_min(values: np.ndarray, first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each [first, last) range of `values`: the minimum and where it is (-1 for an empty range), by a
    sparse table: log2(n) levels of pairwise minima, then two overlapping blocks per query."""
    n = values.size
    levels, where = [values.copy()], [np.arange(n)]
    span = 1
    while 2 * span <= n:
        a, b = levels[-1][:-span], levels[-1][span:]
        pick = b < a
        levels.append(np.where(pick, b, a))
        where.append(np.where(pick, where[-1][span:], where[-1][:-span]))
        span *= 2
    length = np.maximum(last - first, 1)
    k = np.floor(np.log2(length)).astype(np.int64)
    best = np.full(first.size, np.inf)
    index = np.full(first.size, -1, dtype=np.int64)
    for level in sorted(set(k.tolist())):
        q = np.flatnonzero((k == level) & (last > first))
        if not q.size:
            continue
        lo, hi = first[q], last[q] - (1 << level)
        va, vb = levels[level][lo], levels[level][hi]
        pick = vb < va
        best[q] = np.where(pick, vb, va)
        index[q] = np.where(pick, where[level][hi], where[level][lo])
    return best, index
