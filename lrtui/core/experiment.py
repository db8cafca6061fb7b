"""Runs that need different losses, stepped side by side.

A Simulation batches runs over one loss. When runs differ in their loss (say
one uses mini-batches and one the full batch), each loss gets a Simulation,
and the Experiment numbers all runs 0..R-1 in the order they were given.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from lrtui.core.losses.base import Loss
from lrtui.core.run_spec import Event, RunSpec
from lrtui.core.simulation import Simulation

if TYPE_CHECKING:
    from lrtui.core.diagnostics.monitor import Monitor


def _renumbered(diagnosis, run: int):
    return diagnosis if diagnosis.run == run else dataclasses.replace(diagnosis, run=run)


def _monitor(sim: Simulation) -> Monitor:
    assert sim.monitor is not None  # an experiment's simulations always diagnose
    return sim.monitor


@dataclass(frozen=True)
class RunRef:
    part: int  # which simulation
    local: int  # the run's index inside it


class Experiment:
    def __init__(self, parts: list[tuple[Loss, list[RunSpec]]], order: list[RunRef] | None = None, seed: int = 0,
                 eval_every: int | None = None, budget: int | None = None):
        if not parts:
            raise ValueError("an experiment needs at least one run")
        self.simulations = [Simulation(loss, specs, seed=seed, eval_every=eval_every, budget=budget)
                            for loss, specs in parts]
        self._settings: dict[str, Any] = {"seed": seed, "eval_every": eval_every, "budget": budget}
        if order is None:
            order = [RunRef(p, i) for p, (_, specs) in enumerate(parts) for i in range(len(specs))]
        self._initial_order = list(order)
        self.order = list(order)
        self._theory_trackers: dict = {}  # per run: the theory curve, extended as the run steps
        self._fastest: dict = {}  # per run, budget and hyperparameters: the fastest constant LR's theory curve

    @classmethod
    def single(cls, loss: Loss, specs: list[RunSpec], seed: int = 0) -> "Experiment":
        return cls([(loss, specs)], seed=seed)

    # -- structure -------------------------------------------------------------
    @property
    def n_runs(self) -> int:
        return len(self.order)

    def locate(self, run: int) -> tuple[Simulation, int]:
        if not 0 <= run < self.n_runs:
            raise IndexError(f"no run {run}; runs are numbered 0..{self.n_runs - 1}")
        ref = self.order[run]
        return self.simulations[ref.part], ref.local

    def spec(self, run: int) -> RunSpec:
        sim, local = self.locate(run)
        return sim.specs[local]

    def loss_of(self, run: int) -> Loss:
        """The run's own loss (one member of a stacked loss)."""
        sim, local = self.locate(run)
        return sim.loss.rows([local])

    @property
    def labels(self) -> list[str]:
        return [self.spec(i).label for i in range(self.n_runs)]

    @property
    def revision(self) -> int:
        """Grows whenever anything about the runs changes (a step, an edit, a fork, a reset): for redrawing."""
        return sum(sim.revision for sim in self.simulations)

    def view(self, run: int):
        """A read-only view of one run, for drawing it (see lrtui.core.views)."""
        from lrtui.core.views import RunView

        return RunView(self, run)

    def replayed(self, changes: dict[int, dict] | None = None, at: dict[int, int] | None = None) -> "Experiment":
        """A new experiment that replays these runs from step 0 with every change made to them so far, at its
        step (so it retraces what happened here exactly); `changes[run]`, if given, is applied to that run as
        well (a fix, replayed): from step `at[run]` (0 if not given), after the changes already made up to that
        step, as the engine tried it."""
        from lrtui.core.run_spec import Change, with_change

        changes, at = changes or {}, at or {}
        index = {(ref.part, ref.local): run for run, ref in enumerate(self.order)}
        parts = []
        for p, sim in enumerate(self.simulations):
            specs = sim.replay_specs()
            for local, spec in enumerate(specs):
                run = index.get((p, local), -1)
                fix = changes.get(run)
                if fix:
                    spec.changes = with_change(spec.changes, Change(int(at.get(run, 0)), dict(fix)))
                ceiling = self._diverged_lr(run) if run >= 0 and set(fix or {}) <= {"optimizer.lr"} else None
                if ceiling is not None:
                    spec.diverged_lrs = (*spec.diverged_lrs, ceiling)
            parts.append((sim.loss, specs))
        return Experiment(parts, order=list(self.order), **self._settings)

    def forked_from(self, run: int) -> int:
        """The run this one was forked from (`c`), numbered in this experiment, or -1; a replay keeps it."""
        sim, local = self.locate(run)
        parent = sim.specs[local].forked_from
        part = self.order[run].part
        return next((r for r, ref in enumerate(self.order) if ref.part == part and ref.local == parent), -1)

    def _diverged_lr(self, run: int) -> float | None:
        """The largest LR a run on a constant schedule used before it diverged: a ceiling for the LR fixes of its
        replays, whose other settings are the same (None: it did not diverge, or a schedule set its LRs)."""
        at = self.diverged_at(run)
        spec = self.spec(run)
        if at < 0 or spec.schedule != "constant" or any("schedule.type" in c.changes for c in spec.changes):
            return None
        sim, local = self.locate(run)
        return sim.history.largest("lr", local, at)

    @property
    def step_count(self) -> int:
        return max(sim.step_count for sim in self.simulations)

    # -- stepping --------------------------------------------------------------
    def step(self, n: int = 1) -> None:
        for sim in self.simulations:
            sim.step(n)

    def step_within(self, steps: int, seconds: float) -> int:
        """Take up to `steps` steps in doubling chunks, stopping once `seconds` have passed.

        Callers that must stay responsive (the app's frame, a progress bar) get
        control back in about `seconds`; returns the steps taken.
        """
        done, chunk = 0, 1
        started = time.perf_counter()
        while done < steps:
            n = min(chunk, steps - done)
            self.step(n)
            done += n
            if time.perf_counter() - started > seconds:
                break
            chunk *= 2
        return done

    def reset(self) -> None:
        for sim in self.simulations:
            sim.reset()
        self.order = list(self._initial_order)
        self._theory_trackers.clear()
        self._fastest.clear()

    # -- per-run views -----------------------------------------------------------
    def series(self, run: int, field: str):
        sim, local = self.locate(run)
        return sim.history.series(field, local)

    def final_and_best(self, field: str = "loss") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(final, best, held) of `field` for every run, in run order: see History.final_and_best."""
        parts = [sim.history.final_and_best(field) for sim in self.simulations]
        part = np.array([ref.part for ref in self.order], dtype=np.int64)
        local = np.array([ref.local for ref in self.order], dtype=np.int64)
        out = []
        for k in range(3):
            column = np.empty(self.n_runs, dtype=parts[0][k].dtype)
            for p, arrays in enumerate(parts):
                mine = part == p
                column[mine] = arrays[k][local[mine]]
            out.append(column)
        return out[0], out[1], out[2]

    def envelope(self, run: int, field: str):
        sim, local = self.locate(run)
        return sim.history.envelope(field, local)

    def current(self, run: int) -> dict:
        """The live numbers of one run: what a status line shows."""
        sim, local = self.locate(run)
        return {
            "step": sim.step_count,
            "lr": float(sim.lr_now[local]),
            "loss": float(sim.loss_now[local]),
            "grad_norm": float(sim.grad_norm[local]),
            "diverged_at": int(sim.diverged_at[local]),
            "params": sim.params[local],
        }

    def planned_lr(self, run: int, until: int):
        sim, local = self.locate(run)
        return sim.planned_lr(local, until)

    def gauge(self, run: int) -> float:
        """Today's lr as a fraction of the optimizer's stable limit, judged by the largest sharpness the run has
        met so far (NaN until it is known). The LR is the one the next update uses, so a change of LR, by hand
        or by the schedule, shows at once."""
        sim, local = self.locate(run)
        if sim.monitor is None:
            return math.nan
        return self._gauge_by(sim, local, sim.monitor.max_top)

    def gauge_here(self, run: int) -> float:
        """The same by the sharpness at the run's last sample, where it is now (NaN until known). Under the gauge
        after a run has passed through a sharp region, it says why the run can train well over 100%."""
        sim, local = self.locate(run)
        if sim.monitor is None:
            return math.nan
        return self._gauge_by(sim, local, sim.monitor.top)

    @staticmethod
    def _gauge_by(sim, local: int, tops) -> float:
        top, limit = float(tops[local]), float(sim.monitor.limit[local])
        if not (math.isfinite(top) and math.isfinite(limit)) or limit == 0:
            return math.nan
        return float(sim.lr_now[local]) * top / limit

    def verdict(self, run: int) -> str:
        sim, local = self.locate(run)
        return _monitor(sim).verdict(local)

    def summary(self, run: int):
        """The run's current verdict as a Diagnosis, with its evidence."""
        sim, local = self.locate(run)
        return _renumbered(_monitor(sim).summary(local), run)

    def diagnoses(self, run: int | None = None) -> list:
        """Findings in the order they were first detected, numbered by experiment run."""
        if run is not None:
            sim, local = self.locate(run)
            return [d if d.run == run else _renumbered(d, run) for d in _monitor(sim).diagnoses(local)]
        index = {(ref.part, ref.local): r for r, ref in enumerate(self.order)}
        found = [
            _renumbered(d, index[(p, d.run)])
            for p, sim in enumerate(self.simulations)
            for d in _monitor(sim).diagnoses()
            if (p, d.run) in index
        ]
        return sorted((d for d in found if run is None or d.run == run), key=lambda d: (d.step, d.run))

    def diverged_at(self, run: int) -> int:
        sim, local = self.locate(run)
        return int(sim.diverged_at[local])

    @property
    def events(self) -> list[Event]:
        index = {(ref.part, ref.local): run for run, ref in enumerate(self.order)}
        merged = []
        for p, sim in enumerate(self.simulations):
            for e in sim.events:
                if (p, e.run) not in index:
                    continue
                parent = index.get((p, e.parent), -1)
                detail = e.detail
                if e.kind == "fork" and parent >= 0:  # the simulation names its parent by its own numbering
                    detail = re.sub(r"^forked from run \d+", f"forked from run {parent}", detail)
                merged.append(Event(e.step, index[(p, e.run)], e.kind, detail, parent))
        return sorted(merged, key=lambda e: (e.step, e.run))

    # -- controls, addressed by experiment run number ------------------------------
    def scale_lr(self, run: int, factor: float) -> float:
        sim, local = self.locate(run)
        return sim.scale_lr(local, factor)

    def set_lr(self, run: int, lr: float) -> float:
        sim, local = self.locate(run)
        return sim.set_lr(local, lr)

    def set_optimizer(self, run: int, name: str, params: dict | None = None) -> None:
        sim, local = self.locate(run)
        sim.set_optimizer(local, name, params)

    def set_schedule(self, run: int, name: str, params: dict | None = None, restart: bool = True) -> None:
        sim, local = self.locate(run)
        sim.set_schedule(local, name, params, restart)

    def apply_changes(self, run: int, changes: dict) -> str:
        """Change a run from the next update on (a fix, or an edit); it joins the run's timeline."""
        sim, local = self.locate(run)
        return sim.apply_changes(local, changes)

    apply_suggestion = apply_changes  # the name earlier versions used

    def fork(self, run: int, factors=(0.3, 1.0, 3.0)) -> list[int]:
        """Fork a run; the new runs are numbered after the existing ones."""
        sim, local = self.locate(run)
        part = self.order[run].part
        new_local = sim.fork(local, factors)
        first = self.n_runs
        self.order.extend(RunRef(part, i) for i in new_local)
        return list(range(first, first + len(new_local)))

    def effective_lr(self, run: int) -> np.ndarray | None:
        sim, local = self.locate(run)
        return sim.effective_lr(local)

    def theory_loss(self, run: int) -> tuple[np.ndarray, np.ndarray] | None:
        """(steps, loss theory predicts) for SGD on a quadratic, else None (see lrtui.core.theory).

        Kept up to date incrementally, so calling it every frame costs only the new steps.
        """
        from lrtui.core.theory import TheoryTracker, theory_applies

        sim, local = self.locate(run)
        if not theory_applies(sim, local):
            return None
        trackers = self._theory_trackers
        key = (self.order[run].part, local)
        tracker = trackers.get(key)
        if tracker is None or not tracker.is_for(sim, local):
            tracker = trackers[key] = TheoryTracker(sim, local)
        return tracker.update()

    def fastest_theory(self, run: int, steps: int) -> tuple[float, np.ndarray] | None:
        """(lr, predicted loss at steps 0..steps) of plain SGD on this run's quadratic at the fastest constant LR,
        2/(λmax + λmin), from the run's start; None unless the run is plain SGD on a positive definite quadratic
        (see lrtui.core.theory.fastest_theory). Computed once per run and budget."""
        from lrtui.core.theory import fastest_theory, theory_applies

        sim, local = self.locate(run)
        if not theory_applies(sim, local) or sim.specs[local].optimizer != "sgd":
            return None
        key = (self.order[run].part, local, int(steps), repr(sim.specs[local].optimizer_params))
        if key not in self._fastest:
            from lrtui.core.losses.quadratic import Quadratic

            loss = sim.loss.rows([local])
            if not isinstance(loss, Quadratic):  # (theory_applies says it is; this tells the type checker)
                return None
            spec = sim.specs[local]
            start = loss.start if spec.start is None else spec.start
            self._fastest[key] = fastest_theory(loss, start, spec.optimizer_params, steps)
        return self._fastest[key]

    def curvature_history(self, run: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, top Hessian eigenvalue, gauge) at each sharpness update; the gauge is lr * top / limit."""
        sim, local = self.locate(run)
        if sim.monitor is None:
            return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0)
        steps, top = sim.monitor.record.field("top", local)
        return steps, top, sim.monitor.record.field("gauge", local)[1]

    def effective_lr_history(self, run: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(steps, min, median, max) over parameters of an adaptive optimizer's per-parameter LR.

        NaN where the run's optimizer is not adaptive (or before its first update).
        """
        sim, local = self.locate(run)
        if sim.monitor is None:
            return np.empty(0, dtype=np.int64), np.empty(0), np.empty(0), np.empty(0)
        record = sim.monitor.record
        steps, low = record.field("lr_min", local)
        return steps, low, record.field("lr_median", local)[1], record.field("lr_max", local)[1]
