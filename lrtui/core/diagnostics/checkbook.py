"""What the checks found, per run and claim, kept as arrays so a sweep's bookkeeping is a few array operations.

A claim found true stays true until the run is changed; one found false is checked again once half of the
budget left then has gone by (while enough is left to see a difference), and at the end of the budget once
more from the start, as the last word. A claim a sweep's siblings answered is asked of them once more at the
end of the budget too: their whole runs are then known, so the fix is the sibling LR that ended best, not the
one that led when the claim was first answered.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.diagnostics.types import Tried

CLAIMS = ("diverged", "converged", "local_minimum", "plateau", "schedule_too_aggressive", "oscillating", "too_slow")


class CheckBook:
    def __init__(self, n_runs: int):
        self.n_runs = n_runs
        self.has = {c: np.zeros(n_runs, dtype=bool) for c in CLAIMS}
        self.holds = {c: np.zeros(n_runs, dtype=bool) for c in CLAIMS}
        self.remaining = {c: np.zeros(n_runs, dtype=np.int64) for c in CLAIMS}
        self.from_start = {c: np.zeros(n_runs, dtype=bool) for c in CLAIMS}
        self.tried = {c: np.full(n_runs, None, dtype=object) for c in CLAIMS}
        self.by_siblings = {c: np.zeros(n_runs, dtype=bool) for c in CLAIMS}

    def add_runs(self, parents: list[int]) -> None:
        """Forks are judged afresh: nothing checked yet."""
        extra = len(parents)
        for table in (self.has, self.holds, self.from_start, self.by_siblings):
            for c in CLAIMS:
                table[c] = np.concatenate([table[c], np.zeros(extra, dtype=bool)])
        for c in CLAIMS:
            self.remaining[c] = np.concatenate([self.remaining[c], np.zeros(extra, dtype=np.int64)])
            self.tried[c] = np.concatenate([self.tried[c], np.full(extra, None, dtype=object)])
        self.n_runs += extra

    def forget(self, runs: np.ndarray) -> None:
        for c in CLAIMS:
            self.has[c][runs] = False
            self.holds[c][runs] = False
            self.tried[c][runs] = None
            self.by_siblings[c][runs] = False

    def record(self, run: int, claim: str, holds: bool, tried: Tried | None, remaining: int, from_start: bool,
               by_siblings: bool = False) -> None:
        self.has[claim][run] = True
        self.by_siblings[claim][run] = by_siblings
        self.holds[claim][run] = holds
        self.tried[claim][run] = tried
        self.remaining[claim][run] = remaining
        self.from_start[claim][run] = from_start

    def due(self, claim: str, wanted: np.ndarray, remaining: np.ndarray, budget: int, final: bool,
            min_ahead: int) -> np.ndarray:
        """The runs whose claim needs a check now: never checked, or found false and stale."""
        has, holds = self.has[claim], self.holds[claim]
        if final:  # the last word: found false on part of the run, or answered by siblings before the end
            stale = (has & ~holds & ~self.from_start[claim]) | (self.by_siblings[claim] & (self.remaining[claim] > 0))
        else:
            stale = (has & ~holds & (remaining <= self.remaining[claim] // 2)
                     & (remaining >= max(min_ahead, budget // 10)))
        return wanted & (~has | stale)

    def confirmed(self) -> dict:
        """claim -> bool array: found true. A converged check that found lower ground confirms a local minimum."""
        out = {c: self.has[c] & self.holds[c] for c in CLAIMS}
        lower = self.has["converged"] & ~self.holds["converged"]
        out["local_minimum"] = out["local_minimum"] | lower
        return out

    def tried_by_claim(self) -> dict:
        out = dict(self.tried)
        lower = self.has["converged"] & ~self.holds["converged"]
        if lower.any():
            merged = self.tried["local_minimum"].copy()
            merged[lower] = self.tried["converged"][lower]
            out["local_minimum"] = merged
        return out
