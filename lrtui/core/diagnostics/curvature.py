"""Sharpness and the stability gauge, sampled at the monitor's checkpoints.

Per run: the top and bottom Hessian eigenvalues at the last sample (of P^-1 H for adaptive optimizers,
P their own per-parameter denominator), the optimizer's stable limit (each optimizer class owns its
rule), and the largest top eigenvalue met so far. The gauge is lr x that largest sharpness / limit: a
run that passed through a sharp region on its way is judged by it, so "% of limit" predicts what a learner
sees (a run at 2% of the limit where it now sits can still have blown up on the way there).

Small problems (up to 16 parameters) use the exact Hessian, all runs at once. Models use Lanczos on
Hessian-vector products: each estimate is started at a sample, warm-started from the run's previous
vectors, and advanced a few products each step until it converges, so no step stalls for it; at most
SHARPNESS_RUNS distinct points are estimated per sample (a large sweep takes its runs in turn).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrtui.core.diagnostics.record import SharpnessRecord, effective_lr_stats
from lrtui.core.frame import StepFrame
from lrtui.core.sharpness import EXACT_LIMIT, Lanczos, hessian_spectrum, preconditioner_scale

SHARPNESS_RUNS = 16  # Lanczos estimates started per sample, at most
ITERATIONS = 20  # products per estimate at most
TOLERANCE = 3e-3  # both extreme Ritz residuals below this fraction of the spectrum's extent: converged
PRODUCTS_PER_STEP = 4  # run-products of Hessian-vector work per step for estimates in progress
SAMPLES = 512  # a model's Hessian is estimated on this many training samples at most (a fixed subset)


def preconditioner(effective_lr: np.ndarray | None, lr: np.ndarray) -> np.ndarray | None:
    """P = lr / effective_lr, so that lr * lam(P^-1 H) is what bounds an adaptive step (effective_lr given at
    this lr; the caller reads it at lr 1)."""
    if effective_lr is None:
        return None
    with np.errstate(all="ignore"):
        p = np.asarray(lr, dtype=np.float64)[:, None] / effective_lr
    return np.where(np.isfinite(p) & (p > 0), p, 1.0)


def state_preconditioner(view, rows: np.ndarray) -> np.ndarray | None:
    """P of the view's runs `rows`, from the optimizer's state alone: its effective LR read at lr 1 (every
    optimizer's effective LR is linear in lr). Read at the LR in force, a schedule that has taken the LR to 0
    would leave 0/0, and P^-1 H would become the raw Hessian."""
    unit = view.effective_lr(np.ones(view.runs.size))
    return None if unit is None else preconditioner(unit[rows], np.ones(len(rows)))


@dataclass
class _Pending:
    runs: np.ndarray  # the runs that take this estimate (runs at the same point share one)
    rep: np.ndarray  # for each of `runs`, the row of the solver it takes
    solver: Lanczos
    lr: np.ndarray
    limit: np.ndarray
    preconditioned: bool
    formula: str
    step: int
    stats: np.ndarray  # (3, len(runs)) effective-LR stats at the sample


class Curvature:
    def __init__(self, loss, n_runs: int):
        self.loss = loss
        self.exact = loss.n_params <= EXACT_LIMIT
        nan = np.full(n_runs, np.nan)
        self.top, self.bottom, self.limit, self.max_top = nan.copy(), nan.copy(), nan.copy(), nan.copy()
        # The Hessian's own extremes (not preconditioned): where the loss curves up or down, for saddles.
        self.raw_top, self.raw_bottom = nan.copy(), nan.copy()
        n_train = int(getattr(loss, "n_train", 0) or 0)
        self._batch = None
        if loss.is_model and n_train > SAMPLES:
            subset = np.sort(np.random.default_rng(0).choice(n_train, SAMPLES, replace=False))
            subset.flags.writeable = False
            self._batch = subset
        self.max_top_step = np.full(n_runs, -1, dtype=np.int64)
        self.sampled_at = np.full(n_runs, -1, dtype=np.int64)
        self.preconditioned = np.zeros(n_runs, dtype=bool)
        self.formula = ["2/λ"] * n_runs
        member = loss.members_of(n_runs)
        self.record = SharpnessRecord(n_runs, alike=int(np.bincount(member).max()) if n_runs else None)
        self._gauge_at_sample = nan.copy()  # lr x top / limit at each run's last sample, for the record
        self._lr_stats = np.full((3, n_runs), np.nan)  # min, median, max effective LR at the last sample
        self.dead = np.zeros(n_runs, dtype=bool)  # diverged: nothing more to record
        self._unrecorded: int | None = None  # a step whose new values are not in the record yet
        self._vectors: dict[int, np.ndarray] = {}  # run -> (n,) warm start (top + bottom vectors)
        self._pending: list[_Pending] = []
        self._next_run = 0
        self._calm = np.ones(n_runs, dtype=bool)  # at the last sample: not in a blow-up

    def add_runs(self, parents: list[int]) -> None:
        n = self.top.size
        self.loss = self.loss.rows(np.concatenate([np.arange(n), np.asarray(parents, dtype=np.int64)]))
        for name in ("top", "bottom", "limit", "max_top", "max_top_step", "sampled_at", "preconditioned",
                     "_gauge_at_sample", "dead", "raw_top", "raw_bottom", "_calm"):
            values = getattr(self, name)
            setattr(self, name, np.concatenate([values, values[parents]]))
        self._lr_stats = np.concatenate([self._lr_stats, self._lr_stats[:, parents]], axis=1)
        self.formula = self.formula + [self.formula[p] for p in parents]
        for i, parent in enumerate(parents):
            if parent in self._vectors:
                self._vectors[n + i] = self._vectors[parent]
        self.record.add_runs(parents)

    @property
    def in_progress(self) -> bool:
        """True while a model's estimate is still being worked out over the coming steps."""
        return bool(self._pending)

    @property
    def hessian_batch(self) -> np.ndarray | None:
        """The training samples a model's Hessian is estimated on (None: all of them)."""
        return self._batch

    def warm_start(self, run: int) -> np.ndarray | None:
        """The vector a run's next Lanczos estimate starts from (its last top + bottom vectors), if any."""
        return self._vectors.get(int(run))

    def gauge(self, lr: np.ndarray) -> np.ndarray:
        """lr x the largest sharpness met so far / the stable limit (NaN until known)."""
        with np.errstate(all="ignore"):
            return lr * self.max_top / self.limit

    def local_gauge(self, lr: np.ndarray) -> np.ndarray:
        """The same with the sharpness at the last sample (where the run is now)."""
        with np.errstate(all="ignore"):
            return lr * self.top / self.limit

    def past_limit(self, diverged_at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each run that diverged: the step and sharpness of its first sample (after step 0, before the step it
        diverged at) where its LR was past the stable limit there, lr x top / limit >= 1; -1 and NaN elsewhere.
        Such samples do not raise the largest sharpness met (they are not calm), so the gauge of a run that blew up
        in a few steps can read 53% while it was 934% of the limit where it went (lesson 1's x3 fork)."""
        steps, tops = np.full(diverged_at.size, -1, dtype=np.int64), np.full(diverged_at.size, np.nan)
        runs = np.flatnonzero(diverged_at > 0)
        count = self.record.count
        if runs.size and count:
            at = self.record.steps[:count, None]
            top, gauge = self.record.values[0, :count][:, runs], self.record.values[1, :count][:, runs]
            with np.errstate(invalid="ignore"):
                past = (gauge >= 1) & (at > 0) & (at < diverged_at[runs][None, :])
            found = past.any(axis=0)
            first = past.argmax(axis=0)
            steps[runs[found]] = self.record.steps[first[found]]
            tops[runs[found]] = top[first, np.arange(runs.size)][found]
        return steps, tops

    def missing_raw(self) -> np.ndarray:
        """Runs whose Hessian's own extremes are not known (a model under an adaptive optimizer, whose samples
        are of P^-1 H)."""
        return ~self.exact & np.isnan(self.raw_top) & ~self.dead

    def fill_raw(self, params: np.ndarray, runs: np.ndarray) -> None:
        """Measure the Hessian's own extremes now, for the runs that need them to be judged (a flat run: is it
        at a minimum, beside a saddle, or on a shoulder?). They hold until the next sample."""
        if not runs.size:
            return
        solver = Lanczos(self.loss.rows(runs), params[runs].copy(), None, None, ITERATIONS, batch=self._batch)
        solver.advance(ITERATIONS)
        spectrum = solver.spectrum()
        self.raw_top[runs], self.raw_bottom[runs] = spectrum.top, spectrum.bottom

    # -- sampling ------------------------------------------------------------------
    def sample(self, frame: StepFrame, calm: np.ndarray | None = None) -> None:
        """Estimate the live runs' sharpness at this step (models: start estimates, finished later). Runs not
        `calm` (blowing up) are measured, but their value does not raise the largest sharpness met."""
        live = frame.diverged_at < 0
        self._calm = np.ones(live.size, dtype=bool) if calm is None else np.asarray(calm, dtype=bool)
        self.dead = ~live
        for view in frame.optimizers:
            runs = view.runs[live[view.runs]]
            if not runs.size:
                continue
            rows = np.flatnonzero(live[view.runs])
            rule = view.optimizer.stability_rule(view.runs.size)
            lr = frame.lr[runs]
            effective = view.effective_lr(frame.lr[view.runs])
            effective = None if effective is None else effective[rows]
            started = view.updates_taken[rows] > 0
            stats = effective_lr_stats(effective, view.updates_taken[rows], runs.size)
            precond = state_preconditioner(view, rows) if rule.preconditioned else None
            limit = np.asarray(rule.limit, dtype=np.float64)[rows]
            if self.exact:
                self._exact(frame, runs, lr, precond, limit, rule, started, stats)
            elif not rule.preconditioned or started.all():
                # An adaptive optimizer has no denominator before its first update: nothing to estimate yet.
                self._start(frame, runs, lr, precond, limit, rule, stats)
        self._write_record()

    def _exact(self, frame, runs, lr, precond, limit, rule, started, stats) -> None:
        with np.errstate(all="ignore"):
            h = self.loss.rows(runs).hessian(frame.params[runs])  # once: the Hessian's own spectrum and that of P^-1 H
            raw = hessian_spectrum(h, None, want_vectors=False)
            spectrum = raw if precond is None else hessian_spectrum(h, preconditioner_scale(precond), False)
        top, bottom = spectrum.top, spectrum.bottom
        self.raw_top[runs], self.raw_bottom[runs] = raw.top, raw.bottom
        if rule.preconditioned:
            # Before its first update an adaptive optimizer has no denominator yet (lr/eps): no meaningful value.
            top, bottom = np.where(started, top, np.nan), np.where(started, bottom, np.nan)
        self._set(frame.step, runs, top, bottom, lr, limit, rule.preconditioned, rule.formula, stats)

    def _start(self, frame, runs, lr, precond, limit, rule, stats) -> None:
        params, given = frame.params[runs], runs
        # Runs at the same point (a sweep's start) share one estimate; at most SHARPNESS_RUNS, in turn.
        keys: dict = {}
        rep = np.empty(runs.size, dtype=np.int64)
        member = self.loss.members_of(self.top.size)[runs]  # one point of two different losses is two points
        for j in range(runs.size):
            key = params[j].tobytes() + (b"" if precond is None else precond[j].tobytes()) + member[j].tobytes()
            rep[j] = keys.setdefault(key, len(keys))
        firsts = np.array([int(np.flatnonzero(rep == k)[0]) for k in range(len(keys))])
        if firsts.size > SHARPNESS_RUNS:
            n_total = max(self.top.size, 1)
            order = np.argsort((runs[firsts] - self._next_run) % n_total, kind="stable")[:SHARPNESS_RUNS]
            self._next_run = (int(runs[firsts[order[-1]]]) + 1) % n_total
            wanted = np.sort(order)
            keep = np.isin(rep, wanted)
            renumber = {int(k): i for i, k in enumerate(wanted)}
            runs, lr, limit, stats = runs[keep], lr[keep], limit[keep], stats[:, keep]
            rep = np.array([renumber[int(r)] for r in rep[keep]], dtype=np.int64)
            firsts = firsts[wanted]
        points = params[firsts].copy()
        p = None if precond is None else precond[firsts]
        warm = [self._vectors.get(int(r)) for r in given[firsts]]
        loss = self.loss.rows(given[firsts])
        if any(w is None for w in warm):
            solver = Lanczos(loss, points, p, None, ITERATIONS, batch=self._batch)
            solver.advance(ITERATIONS)  # a first estimate: cold, and made now
        else:
            start = np.stack([np.asarray(w, dtype=np.float64) for w in warm])
            solver = Lanczos(loss, points, p, start, ITERATIONS, batch=self._batch, tolerance=TOLERANCE)
        pending = _Pending(runs, rep, solver, lr, limit, rule.preconditioned, rule.formula, frame.step, stats)
        if solver.done:
            self._finish(pending)
        else:
            self._pending.append(pending)

    def advance(self, step: int) -> None:
        """Work on the estimates in progress (a few Hessian-vector products), finishing those that converge."""
        if not self._pending:
            return
        budget = PRODUCTS_PER_STEP
        still = []
        for pending in self._pending:
            size = pending.solver.params.shape[0]
            if budget > 0:
                taken = max(1, budget // size)
                budget -= taken * size
                pending.solver.advance(taken)
            if pending.solver.done:
                self._finish(pending, step)
            else:
                still.append(pending)
        self._pending = still
        self._write_record()

    def _finish(self, pending: _Pending, step: int | None = None) -> None:
        spectrum = pending.solver.spectrum()
        top, bottom = spectrum.top[pending.rep], spectrum.bottom[pending.rep]
        assert spectrum.vector is not None and spectrum.bottom_vector is not None  # Lanczos gives both
        both = spectrum.vector + spectrum.bottom_vector
        for run, row in zip(pending.runs.tolist(), pending.rep.tolist()):
            if np.all(np.isfinite(both[row])):
                self._vectors[run] = both[row].astype(np.float32)
        self._set(pending.step if step is None else step, pending.runs, top, bottom, pending.lr, pending.limit,
                  pending.preconditioned, pending.formula, pending.stats)

    def _set(self, step, runs, top, bottom, lr, limit, preconditioned, formula, stats) -> None:
        self.top[runs], self.bottom[runs], self.limit[runs] = top, bottom, limit
        if not self.exact:  # a model's one estimate serves for both, unless it is of P^-1 H (then not known)
            self.raw_top[runs] = np.nan if preconditioned else top
            self.raw_bottom[runs] = np.nan if preconditioned else bottom
        self.preconditioned[runs] = preconditioned
        self.sampled_at[runs] = step
        calm = self._calm[runs] if self._calm.size == self.top.size else True
        higher = ~(self.max_top[runs] >= top) & np.isfinite(top) & calm
        self.max_top[runs] = np.where(higher, top, self.max_top[runs])
        self.max_top_step[runs] = np.where(higher, step, self.max_top_step[runs])
        for run in runs.tolist():
            self.formula[run] = formula
        with np.errstate(all="ignore"):
            self._gauge_at_sample[runs] = lr * top / limit
        self._lr_stats[:, runs] = stats
        self._unrecorded = int(step)

    def _write_record(self) -> None:
        """One row of the record for the step whose values just changed (every group's at once)."""
        if self._unrecorded is None:
            return
        dead = self.dead
        self.record.add(self._unrecorded, np.where(dead, np.nan, self.top),
                        np.where(dead, np.nan, self._gauge_at_sample), np.where(dead, np.nan, self._lr_stats))
        self._unrecorded = None
