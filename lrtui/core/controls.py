"""Changes to one run between steps: its LR, optimizer, schedule, or a fork.

Every change goes through `apply_changes`, with the same keys a diagnosis's fix uses (see
`lrtui.core.run_spec.Change`). Each takes effect at the next update, leaves an Event (a marker on the
curves) and joins the run's timeline, so `replay_specs` gives specs that, built afresh and stepped,
reproduce the run exactly: the changes come back at their steps. `specs[run]` is how the run stands now;
`origins[run]` is how it started, with its timeline.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from lrtui.core.groups import OptimizerGroup, ScheduleGroup, take_rows
from lrtui.core.run_spec import LR_KEYS, Change, Event, RunSpec, scaled_lr

if TYPE_CHECKING:
    from lrtui.core.diagnostics.monitor import Monitor
    from lrtui.core.history import History
    from lrtui.core.losses.base import Loss

SCHEDULE_RESTART = "schedule.restart"  # true: the changed schedule counts its steps from now


class RunControls:
    """Mixed into Simulation; relies on its groups, specs and history."""

    # What the mixin relies on. Simulation sets these; they are declared here so that they are type-checked.
    specs: list[RunSpec]
    loss: Loss
    history: History
    monitor: Monitor | None
    recording: bool
    step_count: int
    revision: int
    edit_count: int
    events: list[Event]
    params: np.ndarray
    grad_now: np.ndarray
    lr_now: np.ndarray
    momentum_now: np.ndarray
    lr_scale: np.ndarray
    start_scale: np.ndarray  # each run's lr_scale once its step-0 changes were made
    schedule_offset: np.ndarray
    diverged_at: np.ndarray
    edits: np.ndarray
    _metrics: np.ndarray
    _unscaled: bool
    _opt_groups: list[OptimizerGroup]
    _sched_groups: list[ScheduleGroup]

    if TYPE_CHECKING:  # Simulation defines these
        @property
        def n_runs(self) -> int: ...

        def _regroup(self, opt_states: dict, controller_states: dict) -> None: ...

        def _schedule_values(self) -> tuple[np.ndarray, np.ndarray]: ...

        @staticmethod
        def _full_optimizer_params(name: str, given: dict) -> dict: ...

    # -- state kept across a regrouping ------------------------------------------
    def _saved_optimizer_states(self) -> dict:
        saved = {}
        for group in self._opt_groups:
            for i, run in enumerate(group.indices):
                saved[int(run)] = take_rows(group.state, slice(i, i + 1))
        return saved

    def _saved_controller_states(self) -> dict:
        saved = {}
        for group in self._sched_groups:
            if group.controller_state is not None:
                for i, run in enumerate(group.indices):
                    saved[int(run)] = take_rows(group.controller_state, slice(i, i + 1))
        return saved

    def _check_run(self, run: int) -> int:
        run = int(run)
        if not 0 <= run < self.n_runs:
            raise IndexError(f"no run {run}; runs are numbered 0..{self.n_runs - 1}")
        return run

    def _refresh(self, opt_states: dict, controller_states: dict, changed: int | None = None) -> None:
        """Regroup after a change; the LR (and momentum) the next update uses is recomputed for the run that
        `changed` only. The others keep theirs: recomputed as schedule x scale, an LR scaled in place can differ
        in its last bit, and a replay, where this change comes at another moment or not at all (a fork), would
        then not retrace the run bit for bit."""
        kept = (self.lr_now.copy(), self.momentum_now.copy()) if changed is not None else None
        self._regroup(opt_states, controller_states)
        lr_now, momentum_now = self._schedule_values()
        if kept is not None and kept[0].shape == np.shape(lr_now):
            lr_now, momentum_now = np.array(lr_now, dtype=np.float64), np.array(momentum_now, dtype=np.float64)
            others = np.arange(lr_now.size) != changed
            lr_now[others], momentum_now[others] = kept[0][others], kept[1][others]
        self.lr_now, self.momentum_now = lr_now, momentum_now
        # The recorded row for this step now shows the LR the next update will use.
        if self.recording:
            self.history.overwrite_last("lr", self.lr_now)

    # -- the timeline --------------------------------------------------------------
    def _pending_changes(self) -> None:
        """Index the specs' changes by step (at a reset, when the specs are the origins)."""
        self.origins: list[RunSpec] = [spec.copy() for spec in self.specs]
        self._due: dict[int, list[tuple[int, Change]]] = {}
        for run, spec in enumerate(self.origins):
            for change in sorted(spec.changes, key=lambda c: c.step):
                self._due.setdefault(int(change.step), []).append((run, change))
        self._next_change = min(self._due, default=math.inf)

    def _apply_due_changes(self) -> None:
        for run, change in self._due.pop(self.step_count, []):
            if self.diverged_at[run] < 0:
                self._apply(run, dict(change.changes))
                if change.kind == "fork":  # its LR factor, marked as the fork it was (not "1 lr": walk 14a, C10)
                    parent = self.origins[run].forked_from
                    self.events[-1] = self._fork_event(run, parent, change.changes["optimizer.lr_factor"])
        self._next_change = min((s for s in self._due if s > self.step_count), default=math.inf)

    def queued_lr_changes(self, run: int) -> list[tuple[int, dict]]:
        """(step, change) of the run's changes still to come, in order, up to the first one that is not an LR
        alone (an optimizer or a schedule changed ahead is not planned)."""
        out: list[tuple[int, dict]] = []
        for step in sorted(s for s in self._due if s >= self.step_count):
            for who, change in self._due[step]:
                if who != run:
                    continue
                if not set(change.changes) <= set(LR_KEYS) or len(change.changes) != 1:
                    return out
                out.append((step, dict(change.changes)))
        return out

    def start_spec(self, run: int) -> RunSpec:
        """The run's spec with its LR scale as it started (after its step-0 changes): a run scaled before its first
        update is checked as the run it starts as (walkthroughs 14b D1, 15b G2, 16a H3)."""
        return scaled_lr(self.specs[run], float(self.start_scale[run]))

    def _fork_event(self, run: int, parent: int, factor: float) -> Event:
        return Event(self.step_count, run, "fork", f"forked from run {parent} at lr x{factor:g}", parent)

    def replay_specs(self) -> list[RunSpec]:
        """Each run as it started, with every change made to it since, at its step."""
        return [spec.copy() for spec in self.origins]

    # -- changes ---------------------------------------------------------------------
    def apply_changes(self, run: int, changes: dict) -> str:
        """Change a run from the next update on, e.g. {"optimizer.lr": 0.012}; returns what was done."""
        run = self._check_run(run)
        changes = dict(changes)
        done = self._apply(run, changes)
        self.origins[run].changes.append(Change(self.step_count, changes))
        return done

    apply_suggestion = apply_changes  # the name earlier versions used

    def scale_lr(self, run: int, factor: float) -> float:
        """Multiply a run's learning rate (its whole schedule) by `factor`; returns the new LR."""
        self.apply_changes(run, {"optimizer.lr_factor": float(factor)})
        return float(self.lr_now[run])

    def set_lr(self, run: int, lr: float) -> float:
        """Set the LR the next update uses; a schedule keeps its shape around the new value."""
        self.apply_changes(run, {"optimizer.lr": float(lr)})
        return float(self.lr_now[run])

    def set_optimizer(self, run: int, name: str, params: dict | None = None) -> None:
        """Switch a run to another optimizer with fresh state (as building a new torch optimizer does)."""
        self.apply_changes(run, {"optimizer.type": name, **{f"optimizer.{k}": v for k, v in (params or {}).items()}})

    def set_optimizer_params(self, run: int, changes: dict) -> None:
        """Change hyperparameters of a run's optimizer and keep its state, as writing into torch's
        `param_groups` does (momentum buffers and moment estimates carry on)."""
        self.apply_changes(run, {f"optimizer.{k}": v for k, v in changes.items()})

    def set_schedule(self, run: int, name: str, params: dict | None = None, restart: bool = True) -> None:
        """Give a run another schedule, starting from this step when `restart`."""
        self.apply_changes(run, {"schedule.type": name, **{f"schedule.{k}": v for k, v in (params or {}).items()},
                                 SCHEDULE_RESTART: bool(restart)})

    def _apply(self, run: int, changes: dict) -> str:
        optimizer, schedule, lr, factor = {}, {}, None, None
        for key, value in changes.items():
            section, _, name = key.partition(".")
            if key == "optimizer.lr":
                lr = value
            elif key == "optimizer.lr_factor":
                factor = value
            elif section == "optimizer" and name:
                optimizer[name] = value
            elif section == "schedule" and name:
                schedule[name] = value
            else:
                raise ValueError(f'cannot change "{key}": use optimizer.<name> or schedule.<name>')
        done = []
        new_optimizer = "type" in optimizer
        if optimizer:
            done.append(self._change_optimizer(run, dict(optimizer), lr))
        if schedule:  # before the LR, so that an LR given with a new schedule is the one in force
            done.append(self._change_schedule(run, schedule))
        if lr is not None and not new_optimizer:
            done.append(self._set_lr(run, lr))
        if factor is not None:
            done.append(self._scale_lr(run, factor))
        if self.step_count == 0:  # made before the first update (a file's or a replay's step-0 change): the start
            self.start_scale[run] = self.lr_scale[run]
        self.edits[run] += 1
        self.edit_count += 1
        self.revision += 1
        self._follow_label(run)
        return "; ".join(done) or "nothing to apply"

    def _scale_lr(self, run: int, factor) -> str:
        factor = float(factor)
        if not np.isfinite(factor) or factor <= 0:
            raise ValueError(f"the LR factor must be a positive number, got {factor}")
        with np.errstate(over="ignore"):
            overflows = not (np.isfinite(self.lr_scale[run] * factor) and np.isfinite(self.lr_now[run] * factor))
        if overflows:  # pressing * again at 1e308: an infinite LR is no LR, and it showed as "lr nan"
            raise ValueError(f"lr x{factor:g} would overflow; it stays {self.lr_now[run]:.4g}")
        self.lr_scale[run] *= factor
        self._unscaled = False
        self.lr_now[run] *= factor
        if self.recording:
            self.history.overwrite_last("lr", self.lr_now[run], run)
        self.events.append(Event(self.step_count, run, "lr", f"lr x{factor:g} -> {self.lr_now[run]:.4g}"))
        return f"lr x{factor:g}"

    def _set_lr(self, run: int, lr) -> str:
        lr = float(lr)
        if not np.isfinite(lr) or lr < 0:
            raise ValueError(f"lr must be a finite number >= 0, got {lr}")
        current = float(self.lr_now[run])
        with np.errstate(all="ignore"):
            factor = lr / current if current > 0 else math.nan
        if lr > 0 and math.isclose(factor, 1.0, rel_tol=1e-12):  # the LR it has: no change to count (20a S7, 20b T8)
            return f"lr = {lr:g} (as it was)"
        if lr > 0 and np.isfinite(factor) and factor > 0:  # keep the schedule's shape around the new LR
            self._scale_lr(run, factor)
            return f"lr = {lr:g}"
        self.specs[run].optimizer_params["lr"] = lr
        self.lr_scale[run] = 1.0
        self.schedule_offset[run] = self.step_count
        self._refresh(self._saved_optimizer_states(), self._saved_controller_states(), run)
        self.events.append(Event(self.step_count, run, "lr", f"lr -> {lr:.4g}"))
        return f"lr = {lr:g}"

    def _change_optimizer(self, run: int, params: dict, lr) -> str:
        old = self.specs[run]
        name = params.pop("type", None)
        states = self._saved_optimizer_states()
        if name is not None:  # another optimizer: fresh state, as building a new torch optimizer does
            params.setdefault("lr", old.optimizer_params["lr"] if lr is None else float(lr))
            self.specs[run] = old.copy(optimizer=name, optimizer_params=self._full_optimizer_params(name, params))
            states[run] = None
            detail = f"optimizer -> {name}"
        else:  # hyperparameters only: the state carries on
            merged = {**old.optimizer_params, **params}
            merged = {k: tuple(v) if k == "betas" else v for k, v in merged.items()}
            self.specs[run] = old.copy(optimizer_params=merged)
            detail = ", ".join(f"{k}={v}" for k, v in params.items())
        try:
            self._refresh(states, self._saved_controller_states(), run)
        except ValueError:
            self.specs[run] = old
            self._refresh(self._saved_optimizer_states(), self._saved_controller_states(), run)
            raise
        self.events.append(Event(self.step_count, run, "optimizer", detail))
        return detail

    def _change_schedule(self, run: int, params: dict) -> str:
        spec = self.specs[run]
        name = params.pop("type", spec.schedule)
        restart = bool(params.pop("restart", name != spec.schedule))
        merged = {**(spec.schedule_params if name == spec.schedule else {}), **params}
        old_spec, old_offset = spec, int(self.schedule_offset[run])
        self.specs[run] = spec.copy(schedule=name, schedule_params=merged)
        if restart:
            self.schedule_offset[run] = self.step_count
        controllers = self._saved_controller_states()
        controllers.pop(run, None)
        try:
            self._refresh(self._saved_optimizer_states(), controllers, run)
        except ValueError:
            self.specs[run], self.schedule_offset[run] = old_spec, old_offset
            self._refresh(self._saved_optimizer_states(), self._saved_controller_states(), run)
            raise
        self.events.append(Event(self.step_count, run, "schedule", f"schedule -> {name}"))
        shown = ", ".join(f"{k} = {v}" for k, v in params.items())
        return f"schedule {name}" + (f" ({shown})" if shown else "")

    def _follow_label(self, run: int) -> None:
        """A label made from the settings (sgd lr=0.01) is made again from the new ones."""
        spec = self.specs[run]
        if spec.auto_label:
            lr = float(self.lr_now[run])
            spec.label = spec.default_label(lr if np.isfinite(lr) else spec.optimizer_params["lr"])

    def fork(self, run: int, factors=(0.3, 1.0, 3.0)) -> list[int]:
        """Split a run into copies at LR x factor from the same state; the run itself takes factor 1."""
        run = self._check_run(run)
        extra = [float(f) for f in factors if float(f) != 1.0]
        opt_states, controller_states = self._saved_optimizer_states(), self._saved_controller_states()
        new_runs = []
        for factor in extra:
            new = self.n_runs
            self.loss = self.loss.rows(np.append(np.arange(new), run))  # a copy is a run of its parent's loss
            label = f"{self.specs[run].label} x{factor:g}"
            if self.edits[run] or self.origins[run].changes:  # "lr=0.0001 x0.3, now lr 0.03" read as 0.0001 x 0.3
                label = f"run {run} at lr {float(self.lr_now[run]):.4g} x{factor:g}"  # (walkthrough 10b, D65)
            self.specs.append(self.specs[run].copy(label=label, auto_label=False, forked_from=run))
            change = Change(self.step_count, {"optimizer.lr_factor": factor}, "fork")
            # The parent's changes up to here, not those still to come: a copy trains from this state at its own LR,
            # as it does live. A fix the parent takes at step 25, copied into a fork made at step 0, came into
            # force only at the next replay, on a healthy fork that another run's fix replayed (walkthrough 19a, Q2).
            made = [c for c in self.origins[run].changes if c.step <= self.step_count]
            self.origins.append(self.origins[run].copy(label=label, auto_label=False, forked_from=run,
                                                       changes=[*made, change]))
            self.params = np.concatenate([self.params, self.params[run : run + 1]])
            for name in ("lr_scale", "start_scale", "schedule_offset", "active", "diverged_at", "edits", "lr_now",
                         "momentum_now", "loss_now", "grad_norm", "peak_loss"):
                values = getattr(self, name)
                setattr(self, name, np.concatenate([values, values[run : run + 1]]))
            self.grad_now = np.concatenate([self.grad_now, self.grad_now[run : run + 1]])
            self._metrics = np.concatenate([self._metrics, self._metrics[:, run : run + 1]], axis=1)
            self.lr_scale[new] *= factor
            if run in opt_states:
                opt_states[new] = {k: v.copy() for k, v in opt_states[run].items()}
            if run in controller_states:
                controller_states[new] = {k: v.copy() for k, v in controller_states[run].items()}
            self.history.add_runs([run])
            if self.monitor is not None:
                self.monitor.add_runs([run])
            new_runs.append(new)
            self.events.append(self._fork_event(new, run, factor))
        # The LR each run uses next is what a replay gives it: the runs that were there keep theirs (a refresh
        # would recompute them as schedule x scale, which can differ in the last bit from an LR scaled in
        # place), and each copy gets its parent's times its factor, as the replayed change "lr_factor" does.
        kept_lr, kept_momentum = self.lr_now.copy(), self.momentum_now.copy()
        self._refresh(opt_states, controller_states)
        for i, new in enumerate(new_runs):
            kept_lr[new] = kept_lr[run] * extra[i]
        self.lr_now, self.momentum_now = kept_lr, kept_momentum
        if self.recording:
            self.history.overwrite_last("lr", self.lr_now)
        self.edit_count = int(self.edits.sum())
        self.revision += 1
        return new_runs

    def effective_lr(self, run: int):
        """Per-parameter step size of an adaptive optimizer (lr / sqrt(v) and so on), or None."""
        run = self._check_run(run)
        for group in self._opt_groups:
            hits = np.flatnonzero(group.indices == run)
            if hits.size:
                result = group.optimizer.effective_lr(group.state, self.lr_now[group.select])
                return None if result is None else result[int(hits[0])]
        return None
