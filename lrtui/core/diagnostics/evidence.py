"""The evidence each verdict is judged on, measured at a checkpoint for all runs at once.

Every field is an array over runs (or, through `at(run)`, one run's value), so the rule table's conditions
are the same expressions for a sweep and for one run. The numbers come from the running statistics (every
step), the history's recent rows (read at the checkpoint), the curvature samples, and the checks that tried
each candidate fix.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

# A field of the evidence: an array over runs, or, in one run's evidence (`Evidence.at`), that run's value.
PerRun = Any

# The claims' constants: what the verdict contracts in docs/diagnostics.md say, not tuned.
MUCH = 10.0  # "much lower": a gap at most a tenth
TOL = 1e-6  # converged: within this fraction of the starting gap from the floor
FAR = 1e-3  # a local minimum, plateau or hard schedule cut counts only this far above the floor
BLOWUP = 4.0  # diverged: more than this many starting gaps above the floor
STATIONARY = 1e-3  # gradient norm at most this fraction of its largest: a stationary point
SMALL_GRAD = 1e-4  # |g|^2 at most this x 2 Lambda (loss - floor): a small gradient for the height and curvature
NEGATIVE = 1e-6  # bottom eigenvalue below -this x |top|: negative curvature
EARLY_CUT = 0.75  # a schedule's hard cut before this fraction of the budget (annealing at the end is by design)
BOUNCE = -0.5  # running cosine of consecutive updates at most this: they point against each other

# How the candidates are spotted: heuristics that only decide what to check (tuned on the tuning half).
FLAT = 0.01  # over the window the gap fell by at most this fraction of itself
WINDOW_FRACTION = 0.1  # the progress window: this fraction of the budget...
MIN_WINDOW = 20  # ...at least this many steps
SMOOTH = 4  # losses averaged at each end of the window (even, so a two-step bounce cancels)


@dataclass(frozen=True)
class Evidence:
    step: int
    budget: int
    remaining: PerRun
    loss: PerRun  # smoothed over the last SMOOTH steps (what the claims are judged on)
    last_loss: PerRun  # the loss at this very step (what the messages quote, as the status line does)
    first: PerRun
    best: PerRun
    floor: PerRun
    known_floor: bool  # the floor is the loss's minimum (documented, or a 2-D landscape's grid minimum)
    floor_is_bound: bool  # the floor is only a lower bound (a data model's 0): lower ground must be shown by a try
    gap: PerRun  # (loss - floor) / (first - floor)
    gap_then: PerRun  # the same a window ago
    gap_half: PerRun  # the same halfway through the run so far (since its last change by hand)
    window: int
    rate: PerRun  # decrease of log(gap) per step over the window
    needed: PerRun  # steps to reach TOL at that rate (inf when not falling)
    grad_norm: PerRun
    grad_ratio: PerRun  # gradient norm / its largest
    nonfinite: PerRun
    diverged_at: PerRun
    cos_update: PerRun
    flip_rate: PerRun
    lr: PerRun
    set_lr: PerRun  # the LR the run was set to (its optimizer's lr, times any change by hand), before its schedule
    top: PerRun
    bottom: PerRun
    raw_top: PerRun  # the Hessian's own extremes (top and bottom are of P^-1 H for adaptive optimizers)
    raw_bottom: PerRun
    max_top: PerRun
    max_top_step: PerRun
    limit: PerRun  # bound on lr x sharpness
    formula: PerRun  # a tuple over runs of the limit's formula ("2/λ")
    preconditioned: PerRun
    scheduled: PerRun
    schedule_peak: PerRun
    schedule_lr: PerRun
    cut_step: PerRun
    full_batch_model: bool
    start_cause: PerRun  # per run: why the loss is not finite at step 0 ("" if it is)
    confirmed: dict[str, PerRun]  # code -> bool array: a check found the claim true
    tried: dict[str, PerRun]  # code -> object array (per run) of Tried or None
    # A run that diverged: the step and sharpness of its first sample past the stable limit there, on its way out
    # (-1 and NaN where none was, or the run did not diverge); what its explanation names (walkthrough 13a, A1)
    past_limit_step: PerRun = None
    past_limit_top: PerRun = None
    batch_model: bool = False  # a model trained on mini-batches: its loss is one batch's (the words say so)

    # -- derived -------------------------------------------------------------------
    @cached_property
    def blown_up(self):
        return (self.gap > BLOWUP) & np.isfinite(self.gap)

    @cached_property
    def diverged(self):
        return self.nonfinite | (self.diverged_at >= 0) | self.blown_up

    @cached_property
    def negative_curvature(self):
        return self.raw_bottom < -NEGATIVE * np.abs(self.raw_top)

    @cached_property
    def stationary(self):
        return self.grad_ratio <= STATIONARY

    @cached_property
    def small_grad(self):
        """Small for the height above the floor and the curvature: |g| at most 1% of what a bowl of this
        curvature has at this height (|g|^2 = 2 Lambda (loss - floor)). It does not depend on the LR, so a run
        that crawls because its LR is tiny does not count; one beside a saddle, or on a flat tail, does."""
        curvature = np.fmax(np.abs(self.raw_top), np.abs(self.raw_bottom))
        with np.errstate(all="ignore"):
            return self.grad_norm ** 2 <= SMALL_GRAD * 2 * curvature * np.maximum(self.loss - self.floor, 0.0)

    @cached_property
    def flat(self):
        """Over the last half of the run so far the gap fell by at most FLAT of itself (so a run still converging
        linearly is not flat), as the contracts define it."""
        return (self.gap_half - self.gap) <= FLAT * self.gap

    @cached_property
    def minimum(self):
        """At a minimum: stationary, flat, curved upwards (no negative curvature, a top eigenvalue that is not
        zero: a flat tail whose Hessian underflows is no minimum), and not bouncing across it."""
        curved = self.raw_top > 1e-12
        return self.stationary & self.flat & ~self.negative_curvature & curved & ~self.bouncing

    @cached_property
    def local_bottom(self):
        """At a minimum whose gradient is also small for the height left and the curvature (contracts version 2d,
        clause 3): stationary alone compares the gradient with the largest one met, so a run whose first steps
        met a huge gradient passed while still far from any bottom (walkthroughs 16b K7, 21b V2: RMSProp at lr
        0.5 on Rosenbrock, |g| 0.88 at loss 0.29, read "local minimum" where Rosenbrock has only one)."""
        return self.minimum & self.small_grad

    @cached_property
    def bouncing(self):
        return self.cos_update <= BOUNCE

    @cached_property
    def behind(self):
        """At the recent pace, the loss will not reach the tolerance within the budget."""
        return (self.gap > TOL) & ~(self.needed <= self.remaining)

    @cached_property
    def hard_cut(self):
        return self.scheduled & (self.cut_step >= 0) & (self.cut_step <= EARLY_CUT * self.budget)

    def gap_ahead(self, code: str):
        """The gap the unchanged run reaches at the end of the look-ahead of `code`'s check, where that end lies
        after this step; elsewhere (no such check, a mini-batch model's tries measured on the whole training set,
        an unchanged copy that blew up, the look-ahead already past) the gap now. A claim about where the run
        ends (the contracts judge the end of the budget) is asked of the run's own continuation, which the check
        has simulated, not of the run so far."""
        tried = self.tried.get(code)
        if tried is None or not isinstance(tried, np.ndarray):
            return self._gap_ahead_one(tried, self.gap, self.floor, self.first)
        out = np.array(self.gap, dtype=np.float64, copy=True)
        for run in np.flatnonzero(tried.astype(bool)).tolist():  # (a C loop: a sweep's thousand runs, most None)
            out[run] = self._gap_ahead_one(tried[run], out[run], self.floor[run], self.first[run])
        return out

    def _gap_ahead_one(self, tried, gap, floor, first):
        if (tried is None or tried.measure != "loss" or tried.baseline_diverged or not math.isfinite(tried.baseline)
                or tried.end_step <= self.step):
            return gap
        return gaps(np.asarray(tried.baseline, dtype=np.float64), floor, first)

    def stays_flat(self, code: str):
        """The contract's "flat" (gap(B/2) - G <= FLAT G, B the end of the budget) asked of the run's future: G is
        where the unchanged run, continued as far as `code`'s check looked, ends. Before halfway the gap now stands
        in for gap(B/2) (which a falling run is below); from halfway on, the gap at half the steps so far (which it
        is below too), so the test is never looser than the contract's. Nor may the run climb by more than FLAT of
        G. A run flat over the last half of its steps so far can be leaving a plateau or a dimple: judged at the
        end of the budget, as the contracts judge it, it is no longer flat. Without a look-ahead this is `flat`."""
        ahead = self.gap_ahead(code)
        with np.errstate(all="ignore"):
            before = np.where(2 * self.step >= self.budget, np.fmax(self.gap, self.gap_half), self.gap)
            return ((before - ahead) <= FLAT * ahead) & ((ahead - self.gap) <= FLAT * ahead)

    @cached_property
    def at_floor(self):
        return self.gap <= TOL

    @cached_property
    def last_gap(self):
        """The gap of the loss at this very step: what the messages quote beside `last_loss` (the claims are judged
        on `gap`, of the loss smoothed over SMOOTH steps, which on a run converging tenfold a step is 14 times
        larger: "loss 1.94e-121, 2.74e-120 of its starting gap" read as a start of 0.07, not 1.5; walkthrough 8, D33)."""
        return gaps(np.asarray(self.last_loss, dtype=np.float64), self.floor, self.first)

    @cached_property
    def gauge(self):
        with np.errstate(all="ignore"):
            return self.lr * self.max_top / self.limit

    @cached_property
    def lr_limit(self):
        """The largest stable LR by the largest sharpness met so far."""
        with np.errstate(all="ignore"):
            return self.limit / self.max_top

    @cached_property
    def lr_limit_here(self):
        """The largest stable LR by the sharpness where the run is now (its last sample): how far the LR can be
        raised from here. (An adaptive optimizer's preconditioned sharpness is largest early on.)"""
        with np.errstate(all="ignore"):
            return self.limit / self.top

    def at(self, run: int) -> "Evidence":
        """One run's evidence: every array field becomes that run's value (a NumPy scalar, so that ~ and &
        mean what they mean for the arrays)."""
        values = {}
        for name, value in self.__dict__.items():  # the fields, and any cached property already read
            if name not in _FIELD_SET:
                continue
            if type(value) is np.ndarray or name in ("formula", "start_cause"):
                value = value[run]
            elif name in ("confirmed", "tried"):
                value = {k: v[run] for k, v in value.items()}
            values[name] = value
        # A frozen dataclass made field by field: __init__ would set the same 41 fields one by one, slower, in a
        # sweep's table of a thousand runs (walkthrough 7's table of verdicts reads one per run).
        one = object.__new__(Evidence)
        one.__dict__.update(values)
        return one


    def with_runs(self, parents: list[int]) -> "Evidence":
        """The same evidence with forked runs appended, each a copy of its parent's."""
        idx = np.asarray(parents, dtype=np.int64)
        values = {}
        for name in _FIELDS:
            value = getattr(self, name)
            if type(value) is np.ndarray:
                value = np.concatenate([value, value[idx]])
            elif name in ("formula", "start_cause"):
                value = tuple(value) + tuple(value[p] for p in parents)
            elif name in ("confirmed", "tried"):
                value = {k: np.concatenate([v, v[idx]]) for k, v in value.items()}
            values[name] = value
        return Evidence(**values)


_FIELDS = tuple(f.name for f in dataclasses.fields(Evidence))
_FIELD_SET = frozenset(_FIELDS)


def window_for(budget: int) -> int:
    return max(MIN_WINDOW, int(WINDOW_FRACTION * budget))


def gaps(values: np.ndarray, floor: np.ndarray, first: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        start = np.maximum(first - floor, 1e-300)
        return np.maximum(values - floor, 0.0) / start


def progress(then: np.ndarray, now: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray]:
    """(rate of decrease of log gap per step, steps still needed to reach TOL at that rate)."""
    with np.errstate(all="ignore"):
        rate = (np.log(np.maximum(then, 1e-300)) - np.log(np.maximum(now, 1e-300))) / max(span, 1)
        needed = np.where(rate > 0, np.log(np.maximum(now, TOL) / TOL) / np.where(rate > 0, rate, 1.0), math.inf)
    return rate, needed
