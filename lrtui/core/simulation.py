"""A batch of R training runs over one loss, stepped together.

Row t of the history holds the parameters after t updates, the loss and the
gradient norm at those parameters, and the learning rate that update t + 1
will use: torch's `param_groups[0]["lr"]` just before the (t+1)-th
`optimizer.step()`.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.batching import BatchSampler
from lrtui.core.controls import RunControls
from lrtui.core.diagnostics.monitor import Monitor
from lrtui.core.groups import (
    OptimizerGroup,
    build_optimizer_group,
    build_schedule_group,
    optimizer_key,
    schedule_key,
    stack_rows,
    take_rows,
)
from lrtui.core.history import History
from lrtui.core.losses.base import Loss
from lrtui.core.optimizers import OPTIMIZERS
from lrtui.core.run_spec import Event, RunSpec
from lrtui.core.schedules import build_schedule

MODEL_FIELDS = ("train_loss", "test_loss", "test_accuracy")
# Schedules are evaluated this many steps at a time, on blocks aligned to step 0, so that an LR
# never depends on how the steps were chunked (NumPy's vector math may round a lone value differently).
SCHEDULE_BLOCK = 64


class Simulation(RunControls):
    def __init__(self, loss: Loss, runs: list[RunSpec], seed: int = 0, eval_every: int | None = None, history_rows=None,
                 budget: int | None = None, diagnostics: bool = True):
        if not runs:
            raise ValueError("a simulation needs at least one run")
        self.loss = loss
        self.seed = int(seed)
        self._initial_specs = [spec.copy() for spec in runs]
        self._history_rows = history_rows
        self.sampler = None
        if loss.batch_size is not None:
            self.sampler = BatchSampler(loss.n_train, loss.batch_size, self.seed)
        if eval_every is None:
            eval_every = self.sampler.batches_per_epoch if self.sampler else 1
        self.eval_every = max(1, int(eval_every))
        self.budget = budget
        self.diagnostics = diagnostics
        self.reset()

    # -- set-up --------------------------------------------------------------
    def reset(self) -> None:
        """Back to step 0 with the runs as first given."""
        self.specs = [spec.copy() for spec in self._initial_specs]
        for spec in self.specs:
            spec.optimizer_params = self._full_optimizer_params(spec.optimizer, spec.optimizer_params)
            if not spec.label:
                spec.label = spec.default_label(spec.optimizer_params["lr"])
        n_runs = len(self.specs)
        starts = [self.loss.start if s.start is None else s.start for s in self.specs]
        self.params = np.array(np.stack([np.asarray(s, dtype=np.float64) for s in starts]), dtype=np.float64)
        if self.params.shape[1] != self.loss.n_params:
            raise ValueError(f"start must have {self.loss.n_params} values, got {self.params.shape[1]}")
        self.step_count = 0
        self.lr_scale = np.ones(n_runs)
        self.schedule_offset = np.zeros(n_runs, dtype=np.int64)
        self.active = np.ones(n_runs, dtype=bool)
        self.diverged_at = np.full(n_runs, -1, dtype=np.int64)
        self.events: list[Event] = []
        self._event_cache: dict = {}
        extra = MODEL_FIELDS if self.loss.is_model else ()
        self.history = History(n_runs, self.loss.n_params, extra, recent_rows=self._history_rows)
        self._metrics = np.full((len(extra), n_runs), np.nan)
        self._opt_groups: list[OptimizerGroup] = []
        self._sched_groups = []
        self._regroup({run: None for run in range(n_runs)}, {run: None for run in range(n_runs)})
        self.monitor = Monitor(self, self.budget) if self.diagnostics else None
        with np.errstate(all="ignore"):
            self._evaluate_state()
            self._check_divergence()  # a start where the loss or a parameter is already non-finite: step 0
            self._record()
            if self.monitor is not None:
                self.monitor.catch_up()

    @staticmethod
    def _full_optimizer_params(name: str, given: dict) -> dict:
        if name not in OPTIMIZERS:
            from lrtui.core.optimizers import build_optimizer

            build_optimizer(name)  # raises the registry's helpful error
        params = dict(OPTIMIZERS[name].defaults)
        params.update(given)
        return params

    @property
    def n_runs(self) -> int:
        return len(self.specs)

    def _regroup(self, opt_states: dict, plateau_states: dict) -> None:
        """Rebuild the groups; `opt_states[run]` is its state rows, or None for a fresh start."""
        self._build_schedule_groups(plateau_states)
        cycles = np.zeros(self.n_runs, dtype=bool)
        for group in self._sched_groups:
            cycles[group.indices] = group.schedule.cycles_momentum
        by_key: dict[str, list[int]] = {}
        for run in np.flatnonzero(self.active):
            spec = self.specs[run]
            # Runs whose schedule cycles momentum get it overridden each step, so they form their own group.
            key = optimizer_key(spec.optimizer, spec.optimizer_params) + str(bool(cycles[run]))
            by_key.setdefault(key, []).append(int(run))
        groups = []
        for runs in by_key.values():
            name = self.specs[runs[0]].optimizer
            indices = np.array(runs)
            optimizer, select = build_optimizer_group(
                name, [self.specs[r].optimizer_params for r in runs], indices, self.n_runs
            )
            states = [opt_states.get(r) for r in runs]
            state = optimizer.init(self.params[indices])
            if any(s is not None for s in states):
                rows = [take_rows(state, slice(i, i + 1)) if s is None else s for i, s in enumerate(states)]
                state = stack_rows(rows)
            if cycles[runs[0]] and optimizer.momentum_key is None:
                raise ValueError(
                    f"{name} has no momentum or beta1 for the schedule to cycle; "
                    "set schedule.cycle_momentum = false"
                )
            groups.append(OptimizerGroup(indices, select, optimizer, state, bool(cycles[runs[0]])))
        self._opt_groups = groups
        self._all_active = bool(self.active.all())

    def _cycles_momentum(self, run: int) -> bool:
        spec = self.specs[run]
        return build_schedule(spec.schedule, **spec.schedule_params).cycles_momentum

    def _build_schedule_groups(self, plateau_states: dict) -> None:
        by_key: dict[str, list[int]] = {}
        for run in range(self.n_runs):
            spec = self.specs[run]
            key = schedule_key(spec.schedule, spec.schedule_params, int(self.schedule_offset[run]))
            by_key.setdefault(key, []).append(run)
        groups = []
        for runs in by_key.values():
            spec = self.specs[runs[0]]
            indices = np.array(runs)
            base = np.array([self.specs[r].optimizer_params["lr"] for r in runs], dtype=np.float64)
            group = build_schedule_group(
                spec.schedule, spec.schedule_params, int(self.schedule_offset[runs[0]]), indices, base, self.n_runs
            )
            if group.plateau_state is not None:
                saved = [plateau_states.get(r) for r in runs]
                fresh = group.plateau_state
                group.plateau_state = stack_rows(
                    [take_rows(fresh, slice(i, i + 1)) if s is None else s for i, s in enumerate(saved)]
                )
            groups.append(group)
        self._sched_groups = groups
        self._schedule_blocks: list = [None] * len(groups)
        self._no_momentum = np.full(self.n_runs, np.nan)
        self._no_momentum.flags.writeable = False

    # -- stepping ------------------------------------------------------------
    def _evaluate_state(self) -> None:
        """Loss, gradient, learning rate and momentum at the current step."""
        batch = self.sampler.indices(self.step_count) if self.sampler else None
        self.loss_now, self.grad_now = self.loss.value_and_grad(self.params, batch)
        self.grad_norm = np.sqrt(np.einsum("ij,ij->i", self.grad_now, self.grad_now))
        self.lr_now, self.momentum_now = self._schedule_values()
        if self.loss.is_model and self.step_count % self.eval_every == 0:
            metrics = self.loss.evaluate(self.params)
            for i, name in enumerate(MODEL_FIELDS):
                self._metrics[i] = metrics[name]

    def _schedule_values(self):
        groups = self._sched_groups
        whole = len(groups) == 1 and isinstance(groups[0].select, slice)
        lr = None if whole else np.empty(self.n_runs)
        momentum = self._no_momentum
        t = self.step_count
        for i, group in enumerate(groups):
            # Past a schedule's last step (onecycle's total_steps) torch raises;
            # the scenario loader refuses such budgets, and mid-run the last value holds.
            local_t = t - group.offset
            if group.schedule.step_limit is not None:
                local_t = min(local_t, group.schedule.step_limit)
            if group.plateau_state is not None:
                values = group.schedule.lr_from(group.plateau_state)
                cycled = group.schedule.momentum_at(local_t, group.base_lr)
            else:
                values, cycled = self._scheduled(i, local_t)
            if whole:
                lr = values
            else:
                lr[group.select] = values
            if cycled is not None:
                if momentum is self._no_momentum:
                    momentum = momentum.copy()
                momentum[group.select] = cycled
        return lr * self.lr_scale, momentum

    def _scheduled(self, i: int, local_t: int):
        """The LR (and cycled momentum) of schedule group i at its step local_t, from its current block."""
        block = self._schedule_blocks[i]
        start = local_t - local_t % SCHEDULE_BLOCK
        if block is None or block[0] != start:
            group = self._sched_groups[i]
            steps = np.arange(start, start + SCHEDULE_BLOCK, dtype=np.int64)
            if group.schedule.step_limit is not None:
                steps = np.minimum(steps, group.schedule.step_limit)
            with np.errstate(all="ignore"):
                # Schedules are closed forms over arrays of steps; lr_at(t) is this for one step.
                lr = group.schedule._curve(steps, np.asarray(group.base_lr, dtype=np.float64).reshape(-1))
            block = self._schedule_blocks[i] = (start, lr, group.schedule._momentum_curve(steps))
        row = local_t - start
        return block[1][row], None if block[2] is None else block[2][row]

    def _record(self) -> None:
        self.history.append_columns((self.lr_now, self.loss_now, self.grad_norm, *self._metrics),
                                    self.params if self.history.records_params else None)
        if self.monitor is not None:
            self.monitor.stage()

    def step(self, n: int = 1) -> None:
        """Advance every active run by n optimizer steps."""
        n = int(n)
        with np.errstate(all="ignore"):
            for taken in range(n):
                if not self._opt_groups:
                    # Every run has diverged: the clock still moves so that runs in
                    # other simulations of the same experiment stay in step with it.
                    self.step_count += n - taken
                    break
                self._step_once()
            if self.monitor is not None:
                self.monitor.catch_up()

    def _step_once(self) -> None:
        taken_loss = self.loss_now
        groups = self._opt_groups
        if len(groups) == 1 and self._all_active:
            group = groups[0]
            mom = self.momentum_now if group.cycles_momentum else None
            new_params, group.state = group.optimizer.update(self.grad_now, group.state, self.params,
                                                             self.lr_now, mom)
        else:
            new_params = self.params.copy()
            for group in groups:
                sel = group.select
                mom = self.momentum_now[sel] if group.cycles_momentum else None
                new_params[sel], group.state = group.optimizer.update(
                    self.grad_now[sel], group.state, self.params[sel], self.lr_now[sel], mom
                )
        self.params = new_params
        self.step_count += 1
        for group in self._sched_groups:
            if group.plateau_state is not None:
                group.plateau_state = group.schedule.observe(group.plateau_state, taken_loss[group.select])
                self._mark_plateau_cuts(group)
        self._evaluate_state()
        self._check_divergence()
        self._record()

    def _mark_plateau_cuts(self, group) -> None:
        cut = group.plateau_state["reduced"]
        if cut.any():
            for i in np.flatnonzero(cut):
                run = int(group.indices[i])
                lr = group.plateau_state["lr"][i] * self.lr_scale[run]
                self.events.append(Event(self.step_count, run, "plateau_cut", f"plateau: lr cut to {lr:.4g}"))

    def _check_divergence(self) -> None:
        # One sum is non-finite when any value is (or, rarely, when finite values overflow it).
        if self._all_active and math.isfinite(np.add.reduce(self.loss_now) + np.add.reduce(self.params, axis=None)):
            return
        bad = self.active & ~(np.isfinite(self.loss_now) & np.isfinite(self.params).all(axis=1))
        if not bad.any():
            return
        for run in np.flatnonzero(bad):
            self.diverged_at[run] = self.step_count
            self.history.stop_run(int(run), self.step_count)
            self.events.append(Event(self.step_count, int(run), "diverged", "loss or parameters became non-finite"))
        states = self._saved_optimizer_states()
        self.active &= ~bad
        self._regroup(states, self._saved_plateau_states())

    def planned_lr(self, run: int, until: int) -> tuple[np.ndarray, np.ndarray]:
        """Steps now..until and the LR the run's schedule plans for them.

        Reduce-on-plateau cannot be planned (it depends on future losses), so
        its current value is held.
        """
        now = self.step_count
        steps = np.arange(now, max(now, until) + 1)
        group = next(g for g in self._sched_groups if np.any(g.indices == run))
        if group.plateau_state is not None or self.diverged_at[run] >= 0 or len(steps) == 1:
            return steps, np.full(len(steps), self.lr_now[run])
        pos = int(np.flatnonzero(group.indices == run)[0])
        curve = group.schedule.planned(int(steps[-1]) - group.offset, group.base_lr[pos : pos + 1])
        return steps, np.asarray(curve)[now - group.offset :, 0] * self.lr_scale[run]

    def schedule_events(self, run: int, until: int) -> list[tuple[int, str]]:
        """Where the run's schedule warms up, decays, restarts... up to step `until`, for markers.

        Plateau cuts are not planned; they appear in `events` as they happen.
        """
        group = next(g for g in self._sched_groups if np.any(g.indices == run))
        if group.plateau_state is not None:
            return []
        pos = int(np.flatnonzero(group.indices == run)[0])
        horizon = max(0, until - group.offset)
        key = (group.schedule.describe(), group.offset, horizon, float(group.base_lr[pos]))
        if key not in self._event_cache:  # the plot asks every frame; the answer only changes with the schedule
            events = group.schedule.events(horizon, group.base_lr[pos])
            if len(self._event_cache) > 64:
                self._event_cache.clear()
            self._event_cache[key] = [(t + group.offset, kind) for t, kind in events]
        return self._event_cache[key]

    def run(self, until: int) -> None:
        """Step until `until` steps have been taken (or every run has diverged)."""
        self.step(max(0, until - self.step_count))
