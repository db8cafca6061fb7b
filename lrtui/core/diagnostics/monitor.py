"""Watches a simulation as it steps and says, per run, what the learning rate is doing.

The simulation hands over each step (`stage`, a few array copies) and the
monitor judges them a chunk at a time (`catch_up`, when its buffer is full
and whenever `Simulation.step` returns). Judging a chunk gives every step
its own verdict, so findings are reported at the step where they settled,
exactly as if each step had been judged on its own, at a fraction of the
cost: a handful of array operations per chunk instead of per step.
"""

from __future__ import annotations

import math
import sys
from types import SimpleNamespace

import numpy as np

from lrtui.core.diagnostics.features import WINDOW, Features, accumulate_rows
from lrtui.core.diagnostics.gauge import GaugeTracker
from lrtui.core.diagnostics.messages import build
from lrtui.core.diagnostics.record import SharpnessRecord
from lrtui.core.diagnostics.rules import CODES, choose, verdict_masks
from lrtui.core.diagnostics.staging import StepBuffer
from lrtui.core.diagnostics.types import Diagnosis
from lrtui.core.sharpness import EXACT_LIMIT

DEBOUNCE = 10  # steps a finding must hold before it is reported
IMPROVING, DIVERGED, OSCILLATING = CODES.index("improving"), CODES.index("diverged"), CODES.index("oscillating")


class Monitor:
    def __init__(self, sim, budget: int | None = None):
        self.sim = sim
        self.budget = budget
        n = sim.n_runs
        self.features = Features(n, sim.loss.n_params, sim.loss.min_value)
        self.sharpness_every = 5 if sim.loss.n_params <= EXACT_LIMIT else 25
        # A model's Hessian-vector products are dear: its estimates are spread over the following steps.
        self.gauges = GaugeTracker(n, spread=sim.loss.is_model)
        self.record = SharpnessRecord(n)
        self.buffer = StepBuffer(n, sim.loss.n_params)
        # Verdicts are indices into CODES: the latest, how many steps it has held, and the settled one.
        self._codes = np.full(n, IMPROVING)
        self._held = np.zeros(n, dtype=np.int64)
        self._settled = np.full(n, IMPROVING)
        self._now: SimpleNamespace | None = None  # everything the evidence needs, at the last judged step
        self.found: list[Diagnosis] = []
        self._reported: set[tuple[int, str]] = set()

    # The latest sharpness, gauge and stable limit of each run.
    top = property(lambda self: self.gauges.top)
    bottom = property(lambda self: self.gauges.bottom)
    gauge = property(lambda self: self.gauges.gauge)
    start_gauge = property(lambda self: self.gauges.start_gauge)
    limit = property(lambda self: self.gauges.limit)
    formula = property(lambda self: self.gauges.formula)

    # -- feeding -----------------------------------------------------------------
    def observe(self) -> None:
        """Take in the simulation's current step and judge it now."""
        self.stage()
        self.catch_up()

    def stage(self) -> None:
        """Take in the simulation's current step; it is judged at the next `catch_up`."""
        sim = self.sim
        row = self.buffer.add(sim.step_count, sim.loss_now, sim.grad_norm, sim.lr_now, sim.grad_now, sim.params)
        if sim.step_count % self.sharpness_every == 0:
            self.buffer.request_sharpness(row, sim)
        if self.buffer.full:
            self.catch_up()

    def add_runs(self, parents: list[int]) -> None:
        self.catch_up()
        self.features.add_runs(parents)
        self.gauges.add_runs(parents)
        self.record.add_runs(parents)
        for name in ("_codes", "_held", "_settled"):
            values = getattr(self, name)
            setattr(self, name, np.concatenate([values, values[parents]]))
        self.buffer = self.buffer.resized(self.sim.n_runs)
        if self._now is not None:
            self._now = _with_runs(self._now, parents, self._codes.size - len(parents))

    # -- judging -----------------------------------------------------------------
    def catch_up(self) -> None:
        """Judge every step taken in since the last call."""
        buffer = self.buffer
        k = buffer.count
        if k == 0:
            return
        sim = self.sim
        steps = buffer.steps()
        lr = buffer.lr[:k]
        with np.errstate(all="ignore"):
            schedule_lr = lr / np.where(sim.lr_scale > 0, sim.lr_scale, 1.0)
        frame = self.features.advance(steps, buffer.loss[:k], buffer.grad_norm[:k], lr, schedule_lr,
                                      buffer.grad[:k], buffer.params[:k])
        diverged_at = np.asarray(sim.diverged_at)
        diverged = np.where((diverged_at >= 0) & (diverged_at <= steps[:, None]), diverged_at, -1)
        curv = self.gauges.absorb(sim, buffer, steps, diverged, self.record)
        budget = self.budget or np.maximum(steps, 100)[:, None]
        with np.errstate(all="ignore"):
            secant_gauge = lr * frame.secant / np.where(np.isfinite(curv.limit), curv.limit, 2.0)
        full_batch_model = sim.loss.is_model and sim.loss.batch_size is None
        masks = verdict_masks(frame, diverged, curv.gauge, secant_gauge, curv.bottom, curv.top, budget,
                              full_batch_model)
        codes = choose(masks)
        new_finding, settled, held = self._debounce(codes, diverged)
        edge = masks["edge_of_stability"] & (codes != OSCILLATING)

        moments: dict = {}  # a sweep reports many runs at the same step

        def moment(i: int) -> SimpleNamespace:
            if i not in moments:
                moments[i] = make_moment(i)
            return moments[i]

        def make_moment(i: int) -> SimpleNamespace:
            return SimpleNamespace(f=frame.at(i), lr=lr[i].copy(), step=int(steps[i]), codes=codes[i].copy(),
                                   needed=masks["needed"][i].copy(), diverged_at=diverged[i].copy(),
                                   top=curv.top[i].copy(), bottom=curv.bottom[i].copy(),
                                   gauge=curv.gauge[i].copy(), start_gauge=curv.start_gauge[i].copy(),
                                   formula=curv.formula_at(i))

        # Python touches only the steps and runs with something to report, so a sweep stays cheap.
        for i, run in np.argwhere(new_finding | edge):
            now = moment(int(i))
            if new_finding[i, run]:
                self._report(int(run), CODES[codes[i, run]], now)
            if edge[i, run]:
                self._report(int(run), "edge_of_stability", now)
        self._codes, self._held, self._settled = codes[-1].copy(), held[-1].copy(), settled[-1].copy()
        self._now = moment(k - 1)
        buffer.clear()

    def _debounce(self, codes: np.ndarray, diverged: np.ndarray):
        """Per step: a finding is reported once it has held for DEBOUNCE steps, so a transient is not an
        alarm; a non-finite loss needs no such patience. Returns (new finding, settled code, steps held)."""
        k = codes.shape[0]
        t = np.arange(k)[:, None]
        changed = codes != np.concatenate([self._codes[None], codes[:-1]])
        last_change = accumulate_rows(np.maximum, np.where(changed, t, -1))
        held = np.where(last_change >= 0, t - last_change + 1, self._held + t + 1)
        settles = (held >= DEBOUNCE) | (codes == IMPROVING) | ((codes == DIVERGED) & (diverged >= 0))
        last_settle = accumulate_rows(np.maximum, np.where(settles, t, -1))
        runs = np.arange(codes.shape[1])
        settled = np.where(last_settle >= 0, codes[np.maximum(last_settle, 0), runs], self._settled)
        before = np.concatenate([self._settled[None], settled[:-1]])
        new_finding = settles & (codes != IMPROVING) & (codes != before)
        return new_finding, settled, held

    def _report(self, run: int, code: str, now: SimpleNamespace) -> None:
        if (run, code) in self._reported:
            return
        self._reported.add((run, code))
        self.found.append(build(code, run, now.step, self._evidence(run, now)))

    # -- reading -----------------------------------------------------------------
    @property
    def verdicts(self) -> list[str]:
        """The latest verdict of every run, before the patience that `verdict` applies."""
        return [CODES[c] for c in self._codes]

    def verdict(self, run: int) -> str:
        """The run's verdict now; a finding that has not yet held for a few steps does not count."""
        return CODES[self._settled[run]]

    def diagnoses(self, run: int | None = None) -> list[Diagnosis]:
        return [d for d in self.found if run is None or d.run == run]

    def summary(self, run: int) -> Diagnosis:
        """The current verdict of a run as a Diagnosis, with today's numbers."""
        return build(self.verdict(run), run, self.sim.step_count, self.evidence(run))

    def evidence(self, run: int) -> dict:
        """The numbers behind the run's verdict, with the LR in force now (the user may just have changed it)."""
        self.catch_up()
        sim = self.sim
        now = SimpleNamespace(**{**vars(self._now), "lr": sim.lr_now, "step": sim.step_count,
                                 "diverged_at": np.asarray(sim.diverged_at)})
        return self._evidence(run, now)

    def _evidence(self, run: int, now: SimpleNamespace) -> dict:
        with np.errstate(all="ignore"):
            return _evidence(run, now, self.sim, self.budget)


def _evidence(run: int, now: SimpleNamespace, sim, budget) -> dict:
    f = now.f
    lr = float(now.lr[run])
    gauge = float(now.gauge[run])
    e = {
        "lr": lr, "gauge": gauge, "formula": now.formula[run], "sharpness": float(now.top[run]),
        "lr_limit": lr / gauge if gauge > 0 else math.nan, "bottom": float(now.bottom[run]),
        "cos_grad": float(f.cos_grad[run]), "cos_update": float(f.cos_update[run]),
        "flip_rate": float(f.flip_rate[run]), "window": WINDOW, "rate": _finite(float(f.rate[run])),
        "needed": float(now.needed[run]), "budget": int(budget or max(now.step, 100)), "loss": float(f.loss[run]),
        "grad_norm": float(f.grad_norm[run]),
        "grad_ratio": float(np.float64(f.grad_norm[run]) / f.max_grad[run]) if f.max_grad[run] > 0 else math.nan,
        "min_value": sim.loss.min_value if sim.loss.min_value is not None else math.nan,
        "lr_max": float(f.schedule_lr_max[run]), "cut_step": int(f.cut_step[run]),
        "gap_at_cut": float(f.gap_at_cut[run]),
    }
    e["schedule_fix"] = _gentler_schedule(sim.specs[run], budget)
    spec = sim.specs[run]
    # The LR the run was set to, before its schedule: the fix when a schedule drove the LR to inf.
    e["set_lr"] = float(spec.optimizer_params["lr"]) * float(sim.lr_scale[run])
    e["scheduled"] = spec.schedule != "constant"
    e["diverged_at"] = int(now.diverged_at[run])
    start_gauge = now.start_gauge[run]
    if CODES[now.codes[run]] == "diverged" and np.isfinite(start_gauge) and start_gauge > 0:
        # Judge a diverged run by where it started, not by the wreckage.
        e["gauge"] = float(start_gauge)
        e["lr_limit"] = lr / e["gauge"]
        e["sharpness"] = float("nan")
    if now.diverged_at[run] >= 0:
        e["why_diverged"] = f"The loss or the parameters became non-finite at step {now.diverged_at[run]}"
    else:
        e["why_diverged"] = (f"The smoothed loss {f.smooth[run]:.3g} is more than 4x its best "
                             f"{f.best_smooth[run]:.3g}")
    return e


def _finite(x: float) -> float:
    """np.nan_to_num for one float, without a NumPy call per diagnosis (a sweep reports thousands)."""
    if math.isfinite(x):
        return x
    return 0.0 if math.isnan(x) else math.copysign(sys.float_info.max, x)


def _with_runs(now: SimpleNamespace, parents: list[int], n_runs: int) -> SimpleNamespace:
    """A copy of a moment (of n_runs runs) with the parents' values repeated for their forks."""
    def grow(value):
        if isinstance(value, np.ndarray) and value.shape == (n_runs,):
            return np.concatenate([value, value[parents]])
        if isinstance(value, list):
            return value + [value[p] for p in parents]
        if isinstance(value, SimpleNamespace):
            return SimpleNamespace(**{k: grow(v) for k, v in vars(value).items()})
        return value

    return grow(now)


def _gentler_schedule(spec, budget) -> dict:
    params = spec.schedule_params
    if "gamma" in params:
        return {"schedule.gamma": round(float(params["gamma"]) ** (1 / 3), 3)}
    return {"schedule.type": "cosine", "schedule.T_max": int(budget or 1000)}
