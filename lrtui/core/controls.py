"""Changes a user makes to one run between steps: its LR, optimizer, schedule, or a fork.

Each change takes effect at the next update and leaves an Event, so the
curves can mark where it happened.
"""

from __future__ import annotations

import numpy as np

from lrtui.core.groups import take_rows
from lrtui.core.run_spec import Event


class RunControls:
    """Mixed into Simulation; relies on its groups, specs and history."""

    def _saved_optimizer_states(self) -> dict:
        saved = {}
        for group in self._opt_groups:
            for i, run in enumerate(group.indices):
                saved[int(run)] = take_rows(group.state, slice(i, i + 1))
        return saved

    def _saved_plateau_states(self) -> dict:
        saved = {}
        for group in self._sched_groups:
            if group.plateau_state is not None:
                for i, run in enumerate(group.indices):
                    saved[int(run)] = take_rows(group.plateau_state, slice(i, i + 1))
        return saved

    def _check_run(self, run: int) -> int:
        run = int(run)
        if not 0 <= run < self.n_runs:
            raise IndexError(f"no run {run}; runs are numbered 0..{self.n_runs - 1}")
        return run

    def _refresh(self, opt_states: dict, plateau_states: dict) -> None:
        self._regroup(opt_states, plateau_states)
        self.lr_now, self.momentum_now = self._schedule_values()
        # The recorded row for this step now shows the LR the next update will use.
        self.history._rows[self.history._count - 1, 0] = self.lr_now

    def scale_lr(self, run: int, factor: float) -> float:
        """Multiply a run's learning rate (its whole schedule) by `factor`; returns the new LR."""
        run = self._check_run(run)
        factor = float(factor)
        if not np.isfinite(factor) or factor <= 0:
            raise ValueError(f"the LR factor must be a positive number, got {factor}")
        with np.errstate(over="ignore"):
            overflows = not (np.isfinite(self.lr_scale[run] * factor) and np.isfinite(self.lr_now[run] * factor))
        if overflows:  # pressing * again at 1e308: an infinite LR is no LR, and it showed as "lr nan"
            raise ValueError(f"lr x{factor:g} would overflow; it stays {self.lr_now[run]:.4g}")
        self.lr_scale[run] *= factor
        self.lr_now[run] *= factor
        self.history._rows[self.history._count - 1, 0, run] = self.lr_now[run]
        self.events.append(Event(self.step_count, run, "lr", f"lr x{factor:g} -> {self.lr_now[run]:.4g}"))
        return float(self.lr_now[run])

    def set_lr(self, run: int, lr: float) -> float:
        """Set the LR the next update uses; a schedule keeps its shape around the new value."""
        run = self._check_run(run)
        lr = float(lr)
        if not np.isfinite(lr) or lr < 0:
            raise ValueError(f"lr must be a finite number >= 0, got {lr}")
        current = float(self.lr_now[run])
        if current > 0 and lr > 0:
            return self.scale_lr(run, lr / current)
        self.specs[run].optimizer_params["lr"] = lr
        self.lr_scale[run] = 1.0
        self.schedule_offset[run] = self.step_count
        self._refresh(self._saved_optimizer_states(), self._saved_plateau_states())
        self.events.append(Event(self.step_count, run, "lr", f"lr -> {lr:.4g}"))
        return float(self.lr_now[run])

    def set_optimizer(self, run: int, name: str, params: dict | None = None) -> None:
        """Switch a run to another optimizer with fresh state (as building a new torch optimizer does)."""
        run = self._check_run(run)
        params = dict(params or {})
        params.setdefault("lr", self.specs[run].optimizer_params["lr"])
        full = self._full_optimizer_params(name, params)
        old = self.specs[run]
        self.specs[run] = old.copy(optimizer=name, optimizer_params=full)
        states = self._saved_optimizer_states()
        states[run] = None
        try:
            self._refresh(states, self._saved_plateau_states())
        except ValueError:
            self.specs[run] = old
            self._refresh(self._saved_optimizer_states(), self._saved_plateau_states())
            raise
        self.events.append(Event(self.step_count, run, "optimizer", f"optimizer -> {name}"))

    def set_optimizer_params(self, run: int, changes: dict) -> None:
        """Change hyperparameters of a run's optimizer and keep its state, as writing into torch's
        `param_groups` does (momentum buffers and moment estimates carry on)."""
        run = self._check_run(run)
        old = self.specs[run]
        params = {**old.optimizer_params, **changes}
        params = {k: tuple(v) if k == "betas" else v for k, v in params.items()}
        self.specs[run] = old.copy(optimizer_params=params)
        try:
            self._refresh(self._saved_optimizer_states(), self._saved_plateau_states())
        except ValueError:
            self.specs[run] = old
            self._refresh(self._saved_optimizer_states(), self._saved_plateau_states())
            raise
        shown = ", ".join(f"{k}={v}" for k, v in changes.items())
        self.events.append(Event(self.step_count, run, "optimizer", f"{shown}"))

    def set_schedule(self, run: int, name: str, params: dict | None = None, restart: bool = True) -> None:
        """Give a run another schedule, starting from this step when `restart`."""
        run = self._check_run(run)
        old_spec, old_offset = self.specs[run], int(self.schedule_offset[run])
        self.specs[run] = old_spec.copy(schedule=name, schedule_params=dict(params or {}))
        if restart:
            self.schedule_offset[run] = self.step_count
        plateau = self._saved_plateau_states()
        plateau.pop(run, None)
        try:
            self._refresh(self._saved_optimizer_states(), plateau)
        except ValueError:
            self.specs[run], self.schedule_offset[run] = old_spec, old_offset
            self._refresh(self._saved_optimizer_states(), self._saved_plateau_states())
            raise
        self.events.append(Event(self.step_count, run, "schedule", f"schedule -> {name}"))

    def fork(self, run: int, factors=(0.3, 1.0, 3.0)) -> list[int]:
        """Split a run into copies at LR x factor from the same state; the run itself takes factor 1."""
        run = self._check_run(run)
        extra = [float(f) for f in factors if float(f) != 1.0]
        opt_states, plateau_states = self._saved_optimizer_states(), self._saved_plateau_states()
        new_runs = []
        for factor in extra:
            new = self.n_runs
            spec = self.specs[run].copy(label=f"{self.specs[run].label} x{factor:g}")
            self.specs.append(spec)
            self.params = np.concatenate([self.params, self.params[run : run + 1]])
            for name in ("lr_scale", "schedule_offset", "active", "diverged_at", "lr_now", "momentum_now",
                         "loss_now", "grad_norm"):
                values = getattr(self, name)
                setattr(self, name, np.concatenate([values, values[run : run + 1]]))
            self.grad_now = np.concatenate([self.grad_now, self.grad_now[run : run + 1]])
            self._metrics = np.concatenate([self._metrics, self._metrics[:, run : run + 1]], axis=1)
            self.lr_scale[new] *= factor
            if run in opt_states:
                opt_states[new] = {k: v.copy() for k, v in opt_states[run].items()}
            if run in plateau_states:
                plateau_states[new] = {k: v.copy() for k, v in plateau_states[run].items()}
            self.history.add_runs([run])
            if self.monitor is not None:
                self.monitor.add_runs([run])
            new_runs.append(new)
            self.events.append(Event(self.step_count, new, "fork", f"forked from run {run} at lr x{factor:g}", run))
        self._refresh(opt_states, plateau_states)
        return new_runs

    def apply_suggestion(self, run: int, suggestion: dict) -> str:
        """Carry out a diagnosis's suggestion, such as {"optimizer.lr": 0.012}; returns what was done."""
        done = []
        optimizer_changes = {}
        schedule_changes = {}
        for key, value in suggestion.items():
            section, _, name = key.partition(".")
            if key == "optimizer.lr":
                self.set_lr(run, float(value))
                done.append(f"lr = {value:g}")
            elif section == "optimizer":
                optimizer_changes[name] = value
            elif section == "schedule":
                schedule_changes[name] = value
        if optimizer_changes:
            self.set_optimizer_params(run, optimizer_changes)
            done += [f"{k} = {v}" for k, v in optimizer_changes.items()]
        if schedule_changes:
            spec = self.specs[run]
            name = schedule_changes.pop("type", spec.schedule)
            params = {**(spec.schedule_params if name == spec.schedule else {}), **schedule_changes}
            self.set_schedule(run, name, params, restart=name != spec.schedule)
            done += [f"schedule {name} " + ", ".join(f"{k} = {v}" for k, v in schedule_changes.items())]
        return "; ".join(done) or "nothing to apply"

    def effective_lr(self, run: int):
        """Per-parameter step size of an adaptive optimizer (lr / sqrt(v) and so on), or None."""
        run = self._check_run(run)
        for group in self._opt_groups:
            hits = np.flatnonzero(group.indices == run)
            if hits.size:
                result = group.optimizer.effective_lr(group.state, self.lr_now[group.select])
                return None if result is None else result[int(hits[0])]
        return None
