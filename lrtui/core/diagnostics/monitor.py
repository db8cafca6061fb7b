"""Watches a simulation as it steps and says, per run, what the learning rate is doing.

The simulation calls `observe()` after each step; the cost is a few array
operations for all runs together, plus a sharpness estimate every few steps.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.diagnostics.features import WINDOW, Features
from lrtui.core.diagnostics.messages import build
from lrtui.core.diagnostics.record import SharpnessRecord, effective_lr_stats
from lrtui.core.diagnostics.rules import CODES, choose, verdict_masks
from lrtui.core.diagnostics.stability import preconditioner, stability_rule
from lrtui.core.diagnostics.types import Diagnosis
from lrtui.core.sharpness import EXACT_LIMIT, extreme_eigenvalues

DEBOUNCE = 10  # steps a finding must hold before it is reported
IMPROVING, DIVERGED, OSCILLATING = CODES.index("improving"), CODES.index("diverged"), CODES.index("oscillating")


class Monitor:
    def __init__(self, sim, budget: int | None = None):
        self.sim = sim
        self.budget = budget
        n = sim.n_runs
        self.features = Features(n, sim.loss.n_params, sim.loss.min_value)
        self.sharpness_every = 5 if sim.loss.n_params <= EXACT_LIMIT else 25
        self.top = np.full(n, np.nan)
        self.bottom = np.full(n, np.nan)
        self.gauge = np.full(n, np.nan)
        self.start_gauge = np.full(n, np.nan)
        self.limit = np.full(n, np.nan)
        self.formula = ["2/λ"] * n
        self.record = SharpnessRecord(n)
        # Verdicts are indices into CODES: the latest, how many steps it has held, and the settled one.
        self._codes = np.full(n, IMPROVING)
        self._held = np.zeros(n, dtype=np.int64)
        self._settled = np.full(n, IMPROVING)
        self._masks: dict = {}
        self.found: list[Diagnosis] = []
        self._reported: set[tuple[int, str]] = set()

    # -- feeding -----------------------------------------------------------------
    def observe(self) -> None:
        sim = self.sim
        schedule_lr = sim.lr_now / np.where(sim.lr_scale > 0, sim.lr_scale, 1.0)
        self.features.observe(sim.loss_now, sim.grad_now, sim.params, sim.lr_now, schedule_lr, sim.step_count)
        if sim.step_count % self.sharpness_every == 0:
            self._update_sharpness()
        self._judge()

    def add_runs(self, parents: list[int]) -> None:
        self.features.add_runs(parents)
        for name in ("top", "bottom", "gauge", "start_gauge", "limit"):
            values = getattr(self, name)
            setattr(self, name, np.concatenate([values, values[parents]]))
        self.formula += [self.formula[p] for p in parents]
        self.record.add_runs(parents)
        for name in ("_codes", "_held", "_settled"):
            values = getattr(self, name)
            setattr(self, name, np.concatenate([values, values[parents]]))

    def _update_sharpness(self) -> None:
        sim = self.sim
        lr_stats = np.full((3, sim.n_runs), np.nan)
        for group in sim._opt_groups:
            idx = group.indices
            name = sim.specs[int(idx[0])].optimizer
            rule = stability_rule(name, [sim.specs[int(r)].optimizer_params for r in idx])
            lr = sim.lr_now[idx]
            with np.errstate(all="ignore"):
                precond = None
                effective = group.optimizer.effective_lr(group.state, lr)
                lr_stats[:, idx] = effective_lr_stats(effective, group.state["step"], idx.size)
                if rule.preconditioned:
                    precond = preconditioner(effective, lr)
                spectrum = extreme_eigenvalues(sim.loss, sim.params[idx], preconditioner=precond)
                self.top[idx], self.bottom[idx] = spectrum.top, spectrum.bottom
                self.limit[idx] = rule.limit
                self.gauge[idx] = lr * spectrum.top / rule.limit
                if rule.preconditioned:
                    # Before its first update an adaptive optimizer has no denominator yet (lr/eps):
                    # there is no meaningful preconditioned sharpness to report.
                    fresh = np.asarray(group.state["step"]).reshape(idx.size) == 0
                    self.gauge[idx[fresh]] = np.nan
                # The gauge where the run started: a diverged run's own sharpness has exploded with it.
                first = np.isnan(self.start_gauge[idx])
                self.start_gauge[idx[first]] = self.gauge[idx[first]]
            for r in idx:
                self.formula[int(r)] = rule.formula
        live = np.where(sim.active, 1.0, np.nan)
        self.record.add(sim.step_count, self.top * live, self.gauge * live, lr_stats)

    # -- judging -----------------------------------------------------------------
    def _judge(self) -> None:
        sim, f = self.sim, self.features
        budget = self.budget or max(sim.step_count, 100)
        secant_gauge = sim.lr_now * f.secant / np.where(np.isfinite(self.limit), self.limit, 2.0)
        full_batch_model = sim.loss.is_model and sim.loss.batch_size is None
        masks = verdict_masks(f, sim.diverged_at, self.gauge, secant_gauge, self.bottom, self.top, budget,
                              full_batch_model)
        self._masks = masks
        codes = choose(masks)
        self._held = np.where(codes == self._codes, self._held + 1, 1)
        self._codes = codes
        # A finding is reported once it has held for a while, so a transient is not an alarm;
        # a non-finite loss needs no such patience.
        settled = ((self._held >= DEBOUNCE) | (codes == IMPROVING)
                   | ((codes == DIVERGED) & (np.asarray(sim.diverged_at) >= 0)))
        new_finding = settled & (codes != IMPROVING) & (codes != self._settled)
        self._settled = np.where(settled, codes, self._settled)
        edge = masks["edge_of_stability"] & (codes != OSCILLATING)
        # Python touches only the runs with something to report, so a sweep of 1,024 runs stays cheap.
        for run in np.flatnonzero(new_finding | edge):
            run = int(run)
            if new_finding[run]:
                self._report(run, CODES[codes[run]])
            if edge[run]:
                self._report(run, "edge_of_stability")

    def _report(self, run: int, code: str) -> None:
        if (run, code) in self._reported:
            return
        self._reported.add((run, code))
        self.found.append(build(code, run, self.sim.step_count, self.evidence(run)))

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
        with np.errstate(all="ignore"):
            return self._evidence(run)

    def _evidence(self, run: int) -> dict:
        sim, f = self.sim, self.features
        lr = float(sim.lr_now[run])
        gauge = float(self.gauge[run])
        e = {
            "lr": lr, "gauge": gauge, "formula": self.formula[run], "sharpness": float(self.top[run]),
            "lr_limit": lr / gauge if gauge > 0 else math.nan, "bottom": float(self.bottom[run]),
            "cos_grad": float(f.cos_grad[run]), "cos_update": float(f.cos_update[run]),
            "flip_rate": float(f.flip_rate[run]), "window": WINDOW, "rate": float(np.nan_to_num(f.rate[run])),
            "needed": float(self._masks.get("needed", np.full(sim.n_runs, np.nan))[run]),
            "budget": int(self.budget or max(sim.step_count, 100)), "loss": float(f.loss[run]),
            "grad_norm": float(f.grad_norm[run]),
            "grad_ratio": float(np.float64(f.grad_norm[run]) / f.max_grad[run]) if f.max_grad[run] > 0 else math.nan,
            "min_value": sim.loss.min_value if sim.loss.min_value is not None else math.nan,
            "lr_max": float(f.schedule_lr_max[run]), "cut_step": int(f.cut_step[run]),
            "gap_at_cut": float(f.gap_at_cut[run]),
        }
        e["schedule_fix"] = _gentler_schedule(sim.specs[run], self.budget)
        if CODES[self._codes[run]] == "diverged" and np.isfinite(self.start_gauge[run]) and self.start_gauge[run] > 0:
            # Judge a diverged run by where it started, not by the wreckage.
            e["gauge"] = float(self.start_gauge[run])
            e["lr_limit"] = lr / e["gauge"]
            e["sharpness"] = float("nan")
        if sim.diverged_at[run] >= 0:
            e["why_diverged"] = f"The loss or the parameters became non-finite at step {sim.diverged_at[run]}"
        else:
            e["why_diverged"] = (f"The smoothed loss {f.smooth[run]:.3g} is more than 4x its best "
                                 f"{f.best_smooth[run]:.3g}")
        return e


def _gentler_schedule(spec, budget) -> dict:
    params = spec.schedule_params
    if "gamma" in params:
        return {"schedule.gamma": round(float(params["gamma"]) ** (1 / 3), 3)}
    return {"schedule.type": "cosine", "schedule.T_max": int(budget or 1000)}
