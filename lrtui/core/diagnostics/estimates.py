"""A model's sharpness estimates, spread over the training steps that follow each sample.

One Lanczos estimate of a digits MLP costs about 20 Hessian-vector products
over the whole training set, some 60 mini-batch steps' worth: done at once,
every 25th step stalls for it. Instead each sample starts an estimate at the
sample's parameters, warm-started from the run's previous top and bottom
vectors (sharpness changes slowly, so a warm start converges in fewer
products), and every step after it advances the estimate by at most
PRODUCTS_PER_STEP run-products until both ends of the spectrum have converged.
The estimate is in force from the step at which it finished.

Everything here is counted in steps, never in seconds, so an estimate finishes
at the same step however the steps were chunked. A run's first estimate has
no warm start and is made at once, so every run has its sharpness from the
step it was sampled at (step 0 is estimated while the simulation is built).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrtui.core.sharpness import Lanczos

ITERATIONS = 20  # products per estimate at most, as many as a cold estimate uses
TOLERANCE = 3e-3  # both extreme Ritz residuals below this fraction of the spectrum's extent: converged
PRODUCTS_PER_STEP = 4  # run-products of Hessian-vector work each step (at least one iteration)


@dataclass
class Estimate:
    """One optimizer group's estimate at one sample step."""

    group: object  # the gauge's _GroupSamples
    index: int  # which of the group's samples
    chosen: np.ndarray  # positions in the group of the points being estimated
    solver: Lanczos
    spectrum: object = None  # once finished

    def values(self):
        """(top, bottom) over the group's runs (each run takes its representative's), and which got a value."""
        spectrum = self.spectrum
        size = self.group.runs.size
        top, bottom = np.full(size, np.nan), np.full(size, np.nan)
        top[self.chosen], bottom[self.chosen] = spectrum.top, spectrum.bottom
        rep = self.group.rep[self.index]
        return top[rep], bottom[rep], self.group.wanted[self.index, rep]


class SpreadEstimates:
    """The estimates in progress, and each run's last top and bottom vectors for warm starts."""

    def __init__(self, spread: bool):
        self.spread = spread  # False: every estimate is made cold and at once (cheap losses)
        self.pending: list[Estimate] = []
        self.vectors: dict[int, np.ndarray] = {}  # run -> (2, n) float32: top and bottom vectors

    def add_runs(self, parents: list[int], n_runs: int) -> None:
        for i, parent in enumerate(parents):
            if parent in self.vectors:
                self.vectors[n_runs + i] = self.vectors[parent]

    def run(self, loss, groups: list, rows: np.ndarray, count: int) -> list[tuple[int, Estimate]]:
        """Start each sample's estimates at its row and advance all of them row by row through the
        chunk's `count` rows; returns (row, estimate) for each estimate finished, in order."""
        starting: dict = {}
        for group in groups:
            for i, sample in enumerate(group.which):
                starting.setdefault(int(rows[sample]), []).append((group, i))
        finished = []
        last_start = max(starting, default=-1)
        for row in range(count):
            if row > last_start and not self.pending:
                break
            if row in starting:
                # A sample arriving while an estimate is still in progress finishes it first.
                for estimate in self.pending:
                    estimate.solver.advance(ITERATIONS)
                    finished.append(self._finish(row, estimate))
                self.pending = []
                for group, i in starting[row]:
                    estimate = self._start(loss, group, i)
                    if estimate is not None:
                        self.pending.append(estimate)
            budget = PRODUCTS_PER_STEP
            still = []
            for estimate in self.pending:
                size = estimate.chosen.size
                if budget > 0:
                    taken = max(1, budget // size)
                    budget -= taken * size
                    estimate.solver.advance(taken)
                if estimate.solver.done:
                    finished.append(self._finish(row, estimate))
                else:
                    still.append(estimate)
            self.pending = still
        return finished

    def _start(self, loss, group, i: int) -> Estimate | None:
        chosen = np.flatnonzero(group.wanted[i])
        if not chosen.size:
            return None
        runs = group.runs[chosen]
        precond = None if group.precond is None else group.precond[i, chosen]
        params = group.params[i, chosen].copy()  # the buffer's rows are reused by the next chunk
        warm = [self.vectors.get(int(r)) for r in runs] if self.spread else [None]
        if any(v is None for v in warm):
            solver = Lanczos(loss, params, precond, None, ITERATIONS)
            solver.advance(ITERATIONS)  # a first estimate: cold, and made now
        else:
            start = np.stack([v[0].astype(np.float64) + v[1] for v in warm])
            solver = Lanczos(loss, params, precond, start, ITERATIONS, tolerance=TOLERANCE)
        return Estimate(group, i, chosen, solver)

    def _finish(self, row: int, estimate: Estimate) -> tuple[int, Estimate]:
        spectrum = estimate.spectrum = estimate.solver.spectrum()
        if self.spread:
            both = np.stack([spectrum.vector, spectrum.bottom_vector], axis=1).astype(np.float32)
            group, rep = estimate.group, estimate.group.rep[estimate.index]
            position = {int(c): k for k, c in enumerate(estimate.chosen)}
            for j, run in enumerate(group.runs.tolist()):
                k = position.get(int(rep[j]))
                if k is not None and np.isfinite(spectrum.top[k]) and np.all(np.isfinite(both[k])):
                    self.vectors[run] = both[k]
        return row, estimate
