"""Read-only views of one run, for whatever draws it (the app's panels, the CLI's plots).

A panel asks `experiment.view(run)` and never touches the simulation behind it: the view has the run's
numbers now, its spec with the user's LR scale folded in, its history, its planned LR and its findings.
`experiment.revision` changes whenever anything a view shows may have changed (a step, an edit, a fork, a
reset), so a panel can keep what it drew until it does.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.history import Envelope
from lrtui.core.run_spec import RunSpec


def following_label(spec: RunSpec, origin: RunSpec, lr_scale: float = 1.0) -> str:
    """The run's label, followed by what it uses now where that differs from what the label was written for
    ("too high: lr=0.003, now lr 0.0009"; "sgd lr=0.1, now constant"): a label never contradicts the run.
    A label made from the settings ("sgd lr=0.1") reads the same way after an edit ("sgd lr=0.1, now lr 0.003"),
    not silently renamed: the learner sees which run it was and what it uses now."""
    base = spec.label
    if spec.auto_label and origin.label:
        base = origin.label
    elif spec.auto_label:  # no label to start from: the label made from the settings says it all
        return spec.label + (f", now {spec.schedule}" if spec.schedule != origin.schedule else "")
    now = []
    if spec.optimizer != origin.optimizer:
        now.append(spec.optimizer)
    lr, was = float(spec.optimizer_params["lr"]) * lr_scale, float(origin.optimizer_params["lr"])
    if np.isfinite(lr) and not np.isclose(lr, was, rtol=1e-9, atol=0.0):
        # To the figures a fix states ("lr = 0.003379", not "now lr 0.00338"); under a schedule, what it multiplies
        # the schedule by ("lr x17.8 on the whole schedule"): "now lr 1.78" read as the LR in force, which the
        # schedule had cut to 0.22 (walkthrough 8, D34).
        # (Any schedule, the file's or one chosen with s: "now lr 1.778 multistep" beside another run's "now lr
        # x17.8" for the same kind of fix read as two kinds: walkthrough 23b, Z6.)
        scheduled = spec.schedule != "constant" and was > 0
        # (not where the label already says it: a fork's "warm restarts x0.3" read "warm restarts x0.3, now lr
        # x0.3", walkthrough 24a, A4)
        times = f"x{lr / was:.3g}" if scheduled else ""
        if not (scheduled and base.endswith(f" {times}")):
            now.append(f"lr {times}" if scheduled else f"lr {lr:.4g}")
    if spec.schedule != origin.schedule:
        now.append(spec.schedule)
    return f"{base}, now {' '.join(now)}" if now else base


class RunHistory:
    """One run's slice of its simulation's history."""

    __slots__ = ("_history", "_run")

    def __init__(self, history, run: int):
        self._history, self._run = history, run

    @property
    def source(self) -> tuple:
        """Identifies the history read from: a panel's cache is stale once this changes (a reset, a replay, or a
        recorded row changed: an LR set by hand at step 0 replaces the file's in row 0, which a chart had reduced
        already; walkthrough 10a, D45)."""
        return (id(self._history), self._run, self._history.overwrites)

    @property
    def steps_recorded(self) -> int:
        return self._history.steps_recorded

    @property
    def records_params(self) -> bool:
        return self._history.records_params

    def series(self, field: str) -> tuple[np.ndarray, np.ndarray]:
        return self._history.series(field, self._run)

    def envelope(self, field: str, since: int = 0) -> Envelope:
        return self._history.envelope(field, self._run, since=since)

    def params_series(self, since: int = 0) -> tuple[np.ndarray, np.ndarray]:
        return self._history.params_series(self._run, since=since)


class RunView:
    """One run of an experiment, read only. Numbers are as of the moment the view was made."""

    def __init__(self, experiment, run: int):
        sim, local = experiment.locate(run)
        self._sim, self._local, self.run = sim, local, run
        self.revision = experiment.revision
        spec = sim.specs[local]
        lr_scale = float(sim.lr_scale[local])
        self.file_label = spec.label
        self.label = following_label(spec, sim.origins[local], lr_scale)
        # The spec as it stands, the user's LR scale folded into its LR.
        self.spec: RunSpec = spec.copy(optimizer_params={**spec.optimizer_params,
                                                         "lr": float(spec.optimizer_params["lr"]) * lr_scale})
        self.step = int(sim.step_count)
        self.lr = float(sim.lr_now[local])
        self.loss = float(sim.loss_now[local])
        self.grad_norm = float(sim.grad_norm[local])
        self.diverged_at = int(sim.diverged_at[local])
        self.params = np.array(sim.params[local])
        self.history = RunHistory(sim.history, local)
        self.loss_function = sim.loss.rows([local])
        self.budget = sim.budget

    # -- the plan ahead ------------------------------------------------------------------
    def lr_block(self, first: int, count: int) -> np.ndarray:
        """The LR the run's plan gives at steps first..first + count - 1 (held where it cannot be planned)."""
        return self._sim.lr_block(self._local, first, count)

    def planned_lr(self, until: int) -> tuple[np.ndarray, np.ndarray]:
        return self._sim.planned_lr(self._local, until)

    @property
    def plan_key(self) -> tuple:
        """Equal keys, equal plans: what a drawing of the plan depends on."""
        return (id(self._sim), self._local) + self._sim.plan_key(self._local)

    def schedule_events(self, until: int) -> list[tuple[int, str]]:
        return self._sim.schedule_events(self._local, until)

    @property
    def cycles_momentum(self) -> bool:
        return self._sim.cycles_momentum(self._local)

    @property
    def timeline(self) -> list:
        """The changes made to the run, at their steps (as `replay` and a saved scenario keep them)."""
        return list(self._sim.origins[self._local].changes)
