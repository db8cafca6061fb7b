"""Sharpness and the stability gauge at the steps where they were sampled, spread over a chunk's steps.

Between samples each run keeps its last values, as the plots and the rules
see them. All samples of a chunk are worked out together: for losses with a
closed-form Hessian they go to the eigensolver in one call (each run's
Hessian is its own, so this changes no value); models and large losses are
estimated one sample at a time, as Lanczos iteration couples the runs it is
given. A model's estimate is spread over the steps after its sample and takes
effect at the step it finished (see estimates.py), so no step stalls for it.

Lanczos costs about fifty training steps per run (20 Hessian-vector products),
so a sample estimates each distinct point once (a sweep's runs all start at the
same weights) and at most SHARPNESS_RUNS of them: a larger sweep takes its runs
in turn, and a run keeps its last estimate until its turn comes again.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np

from lrtui.core.diagnostics.estimates import SpreadEstimates
from lrtui.core.diagnostics.record import SharpnessRecord, effective_lr_stats
from lrtui.core.diagnostics.stability import preconditioner, stability_rule
from lrtui.core.diagnostics.staging import StepBuffer
from lrtui.core.sharpness import EXACT_LIMIT, extreme_eigenvalues

FIELDS = ("top", "bottom", "gauge", "limit", "start_gauge")
SHARPNESS_RUNS = 16  # Lanczos estimates in one sample step (a 1,024-run digits sweep would stall ~50 s)
SAMPLED = FIELDS[:4]  # what each sample sets; start_gauge follows from the gauge


class GaugeTracker:
    """Per run: top and bottom eigenvalues, the stable limit, lr x top / limit, and where the gauge started."""

    def __init__(self, n_runs: int, spread: bool = False):
        self._estimates = SpreadEstimates(spread)  # Lanczos estimates in progress, and warm starts
        self._rules: dict = {}  # (optimizer object id, runs) -> (that object, its stability rule)
        self._last_lr_stats = np.full((3, n_runs), np.nan)  # a model's latest recorded effective-LR stats
        for name in FIELDS:
            setattr(self, name, np.full(n_runs, np.nan))
        self.formula = ["2/λ"] * n_runs
        self._next_run = 0  # where the next sample's turn starts, when a sweep has more runs than SHARPNESS_RUNS

    def add_runs(self, parents: list[int]) -> None:
        self._estimates.add_runs(parents, self.top.size)
        self._last_lr_stats = np.concatenate([self._last_lr_stats, self._last_lr_stats[:, parents]], axis=1)
        for name in FIELDS:
            values = getattr(self, name)
            setattr(self, name, np.concatenate([values, values[parents]]))
        self.formula = self.formula + [self.formula[p] for p in parents]  # a new list: moments share the old

    def absorb(self, sim, buffer: StepBuffer, steps: np.ndarray, diverged_rows: np.ndarray,
               record: SharpnessRecord) -> SimpleNamespace:
        """Take in the chunk's samples; returns each field per step (k, R) and a step's formulas."""
        start = np.stack([getattr(self, name) for name in FIELDS])
        rows = np.array(buffer.sample_rows, dtype=np.int64)
        formulas = _FormulaLog(self.formula)
        slots = np.empty(0, dtype=np.int64)  # the rows where values change
        if rows.size or self._estimates.pending:
            slots, table = self._samples(sim, buffer, rows, start, formulas)
        if slots.size:
            live = np.where(diverged_rows[slots] < 0, 1.0, np.nan)
            record.add_many(steps[slots], table[0] * live, table[2] * live, self._lr_stats)
            for i, name in enumerate(FIELDS):
                setattr(self, name, table[i, -1].copy())
            self.formula = list(formulas.at(slots.size - 1))
        else:
            table = np.empty((len(FIELDS), 0, sim.n_runs))
        # Each step sees the latest slot at or before it (slot -1: the values the chunk started with).
        latest = np.searchsorted(slots, np.arange(buffer.count), side="right") - 1
        per_step = np.concatenate([start[:, None], table], axis=1)[:, latest + 1]
        out = SimpleNamespace(**{name: per_step[i] for i, name in enumerate(FIELDS)})
        out.formula_at = lambda row: formulas.at(int(latest[row]))
        return out

    def _samples(self, sim, buffer, rows, start, formulas):
        """The rows where values change (slots), and every field after each: (fields, slots, R).

        A closed-form Hessian's values change at the samples; a Lanczos estimate's where it finished."""
        n_runs = sim.n_runs
        sample_of = {int(row): s for s, row in enumerate(rows)}
        # Requests of the same optimizer group (usually all of a chunk's) are worked out together.
        by_group: dict = {}
        for request in buffer.requests:
            by_group.setdefault((request.optimizer, request.runs.tobytes()), []).append(request)
        groups = []
        lanczos = sim.loss.n_params > EXACT_LIMIT or sim.loss.is_model
        for (optimizer, _), requests in by_group.items():
            rule = self._rule(sim, optimizer, requests[0])
            which = np.array([sample_of[r.row] for r in requests])
            groups.append(_GroupSamples(requests, rule, which, *_inputs(buffer, rows[which], requests, rule, lanczos)))
        if lanczos:
            self._take_turns(groups, rows.size, n_runs)
            finished = self._estimates.run(sim.loss, groups, rows, buffer.count)
            slots = np.unique(np.array([row for row, _ in finished], dtype=np.int64))
            updates = [(np.searchsorted(slots, row)[None], e.group, *_spread_values(e)) for row, e in finished]
        else:
            slots = rows
            updates = [(g.which, g, *_exact_values(sim.loss, g)) for g in groups]
        n_slots = slots.size
        set_now = np.full((len(SAMPLED), n_slots, n_runs), np.nan)
        written = np.zeros((n_slots, n_runs), dtype=bool)
        self._lr_stats = np.full((n_slots, 3, n_runs), np.nan)
        stats_written = np.zeros((n_slots, n_runs), dtype=bool)
        for where, group, values, computed, lr_stats in updates:
            cells = (where[:, None], group.runs[None, :])
            for i in range(len(SAMPLED)):
                set_now[(i,) + cells] = values[i]
            written[cells] = computed
            self._lr_stats[where[:, None], :, group.runs[None, :]] = np.moveaxis(lr_stats, 0, -1)
            stats_written[where[:, None], group.runs[None, :]] = True
            formulas.change(int(where[0]), group.runs, group.rule.formula)
        if not n_slots:
            return slots, np.empty((len(FIELDS), 0, n_runs))
        if lanczos:
            self._carry_lr_stats(stats_written)
        samples = np.arange(n_slots)[:, None]
        last = np.maximum.accumulate(np.where(written, samples, -1), axis=0)
        picked = np.take_along_axis(set_now, np.maximum(last, 0)[None], axis=1)
        table = np.empty((len(FIELDS), n_slots, n_runs))
        table[:4] = np.where(last >= 0, picked, start[:4, None])
        # The gauge where the run started (its first known one): a diverged run's sharpness explodes with it.
        known = written & ~np.isnan(set_now[2])
        first = np.minimum.accumulate(np.where(known, samples, n_slots), axis=0)
        first_gauge = np.take_along_axis(set_now[2], np.minimum(first, n_slots - 1), axis=0)
        table[4] = np.where(np.isnan(start[4]) & (first < n_slots), first_gauge, start[4])
        return slots, table

    def _carry_lr_stats(self, written: np.ndarray) -> None:
        """Estimates of different groups finish at different steps: a run's effective-LR stats in the record
        are those of its last finished estimate, not a gap."""
        slots = np.arange(written.shape[0])[:, None]
        last = np.maximum.accumulate(np.where(written, slots, -1), axis=0)
        runs = np.arange(written.shape[1])
        stats = np.concatenate([self._last_lr_stats[None], self._lr_stats])[last + 1, :, runs].transpose(0, 2, 1)
        self._lr_stats = stats
        self._last_lr_stats = stats[-1].copy()

    def _rule(self, sim, optimizer: str, request):
        """The group's stability rule, worked out again only when its settings changed (a new optimizer object)."""
        if request.settings is None:
            return stability_rule(optimizer, [sim.specs[int(r)].optimizer_params for r in request.runs])
        key = (id(request.settings), request.runs.tobytes())
        cached = self._rules.get(key)
        if cached is None or cached[0] is not request.settings:
            if len(self._rules) > 64:
                self._rules.clear()
            rule = stability_rule(optimizer, [sim.specs[int(r)].optimizer_params for r in request.runs])
            cached = self._rules[key] = (request.settings, rule)
        return cached[1]

    def _take_turns(self, groups: list, n_samples: int, n_runs: int) -> None:
        """Mark which distinct points each sample estimates: all of them, or SHARPNESS_RUNS taken in turn."""
        for sample in range(n_samples):
            candidates = []  # (turn order, group, position in the sample, position in the group)
            for g, group in enumerate(groups):
                for i in np.flatnonzero(group.which == sample):
                    for j in np.flatnonzero(group.rep[i] == np.arange(group.runs.size)):
                        candidates.append(((int(group.runs[j]) - self._next_run) % n_runs, g, i, j))
            if len(candidates) <= SHARPNESS_RUNS:
                continue
            candidates.sort()
            for group in groups:
                group.wanted[group.which == sample] = False
            for _, g, i, j in candidates[:SHARPNESS_RUNS]:
                groups[g].wanted[i, j] = True
            self._next_run = (self._next_run + candidates[SHARPNESS_RUNS - 1][0] + 1) % n_runs


@dataclass
class _GroupSamples:
    """One optimizer group at m sample steps: what its sharpness estimates need, and which to make."""

    requests: list
    rule: object
    which: np.ndarray  # the sample index of each of the m requests
    lr: np.ndarray  # (m, runs)
    params: np.ndarray  # (m, runs, n)
    steps: np.ndarray  # (m, runs): updates taken by each run's optimizer
    lr_stats: np.ndarray  # (3, m, runs)
    precond: np.ndarray | None  # (m, runs, n)
    rep: np.ndarray  # (m, runs): the first run at the same point (and preconditioner) in that sample
    wanted: np.ndarray = None  # (m, runs): the representatives to estimate

    def __post_init__(self):
        if self.wanted is None:
            self.wanted = self.rep == np.arange(self.rep.shape[1])[None, :]

    @property
    def runs(self) -> np.ndarray:
        return self.requests[0].runs


def _inputs(buffer, rows, requests, rule, distinct: bool):
    """lr, params, optimizer steps, lr stats, preconditioner and representatives of a group's samples."""
    runs = requests[0].runs
    m, size = len(requests), runs.size
    lr = buffer.lr[rows][:, runs]
    params = buffer.params[rows][:, runs]
    steps = np.stack([np.asarray(r.optimizer_steps, dtype=np.float64).reshape(size) for r in requests])
    flat = None
    if requests[0].effective_lr is not None:
        effective = np.stack([r.effective_lr for r in requests])
        flat = effective.reshape(m * size, -1)
        lr_stats = effective_lr_stats(flat, steps.reshape(-1), m * size).reshape(3, m, size)
    else:
        lr_stats = np.full((3, m, size), np.nan)
    precond = preconditioner(flat, lr.reshape(-1)) if rule.preconditioned else None
    if precond is not None:
        precond = precond.reshape(m, size, -1)
    rep = np.tile(np.arange(size), (m, 1))
    for i in range(m if distinct else 0):  # finding equal points pays only where an estimate is dear
        seen: dict = {}
        for j in range(size):
            key = params[i, j].tobytes() + (b"" if precond is None else precond[i, j].tobytes())
            rep[i, j] = seen.setdefault(key, j)
    return lr, params, steps, lr_stats, precond, rep


def _exact_values(loss, group: _GroupSamples):
    """(top, bottom, gauge, limit) each (m, runs) at all of a group's samples, which runs got them, lr stats."""
    m, size = group.rep.shape
    params, precond = group.params, group.precond
    with np.errstate(all="ignore"):
        # Scaling by one is exact, so the samples share one call with or without a preconditioner.
        flat_params = params.reshape(m * size, -1)
        spectrum = extreme_eigenvalues(loss, flat_params, preconditioner=np.ones_like(flat_params)
                                       if precond is None else precond.reshape(m * size, -1), vectors=False)
    top, bottom = spectrum.top.reshape(m, size), spectrum.bottom.reshape(m, size)
    return _with_gauge(group, top, bottom, group.lr, group.steps), np.ones((m, size), dtype=bool), group.lr_stats


def _spread_values(estimate):
    """The same for one Lanczos estimate (one sample), as it finished."""
    group, i = estimate.group, estimate.index
    top, bottom, computed = estimate.values()
    at = slice(i, i + 1)
    values = _with_gauge(group, top[None], bottom[None], group.lr[at], group.steps[at])
    return values, computed[None], group.lr_stats[:, at]


def _with_gauge(group: _GroupSamples, top, bottom, lr, steps):
    rule = group.rule
    with np.errstate(all="ignore"):
        limit = np.broadcast_to(rule.limit, top.shape)
        gauge = lr * top / rule.limit
    if rule.preconditioned:
        # Before its first update an adaptive optimizer has no denominator yet (lr/eps):
        # there is no meaningful preconditioned sharpness to report.
        gauge[steps == 0] = np.nan
    return top, bottom, gauge, limit


class _FormulaLog:
    """Each run's formula (e.g. "2/λ") as of each sample, kept as the few changes made."""

    def __init__(self, formula: list[str]):
        self.start = list(formula)
        self.changes: dict = {}  # (runs, formula) -> first sample
        self._seen: dict = {}  # which changes apply -> the formulas then

    def change(self, sample: int, runs: np.ndarray, formula: str) -> None:
        self.changes.setdefault((runs.tobytes(), formula), (sample, runs))

    def at(self, sample: int) -> list[str]:
        applied = tuple(first <= sample for first, _ in self.changes.values())
        if applied not in self._seen:
            self._seen[applied] = self._formulas(sample)
        return self._seen[applied]

    def _formulas(self, sample: int) -> list[str]:
        out = list(self.start)
        for (_, formula), (first, runs) in sorted(self.changes.items(), key=lambda item: item[1][0]):
            if first <= sample:
                for r in runs.tolist():
                    out[r] = formula
        return out
