"""A batch of R training runs over one loss, stepped together.

Row t of the history holds the parameters after t updates, the loss and the
gradient norm at those parameters, and the learning rate that update t + 1
will use: torch's `param_groups[0]["lr"]` just before the (t+1)-th
`optimizer.step()`.

Each step the simulation hands its monitor (the diagnostics) a frozen
StepFrame; the monitor never reads the simulation's private state. Changes a
run's spec lists (`RunSpec.changes`) are applied at their steps, so a run
edited in the app replays exactly; `branch` continues some runs on copies,
which is how a diagnosis tries its fix before showing it.
"""

from __future__ import annotations

import math

import numpy as np

from lrtui.core.batching import BatchSampler
from lrtui.core.controls import RunControls
from lrtui.core.diagnostics.monitor import Monitor
from lrtui.core.frame import OptimizerView, StepFrame
from lrtui.core.groups import (
    OptimizerGroup,
    build_optimizer_group,
    build_schedule_group,
    optimizer_key,
    schedule_key,
    stack_rows,
    take_rows,
)
from lrtui.core.history import History, plan_rows
from lrtui.core.losses.base import Loss
from lrtui.core.optimizers import OPTIMIZERS
from lrtui.core.run_spec import Event, RunSpec
from lrtui.core.schedules import build_lr_plan

MODEL_FIELDS = ("train_loss", "test_loss", "test_accuracy")
# Schedules are evaluated this many steps at a time, on blocks aligned to step 0, so that an LR
# never depends on how the steps were chunked (NumPy's vector math may round a lone value differently).
SCHEDULE_BLOCK = 64


class Simulation(RunControls):
    def __init__(self, loss: Loss, runs: list[RunSpec], seed: int = 0, eval_every: int | None = None, history_rows=None,
                 budget: int | None = None, diagnostics: bool = True, record: bool = True):
        if not runs:
            raise ValueError("a simulation needs at least one run")
        self.loss = loss
        self._initial_loss = loss  # a fork adds rows to a stacked loss; a reset goes back to these
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
        self.recording = record  # False: no history (a branch that tries a fix needs only where it ends)
        self.revision = 0  # grows with every step and every change, never goes back (a reset counts too)
        self.reset()

    @classmethod
    def check_specs(cls, loss: Loss, runs: list[RunSpec]) -> None:
        """Raise the ValueError building these runs would raise (their optimizers and schedules, grouped as a
        simulation groups them), without evaluating the loss or allocating a history."""
        full = [cls._full_optimizer_params(spec.optimizer, spec.optimizer_params) for spec in runs]
        for spec in runs:
            start = loss.start if spec.start is None else spec.start
            if np.shape(start) != (loss.n_params,):
                raise ValueError(f"start must have {loss.n_params} values, got {np.size(start)}")
        by_key: dict[str, list[dict]] = {}
        cycling: dict[str | None, bool] = {}  # by schedule: a sweep's runs share one, built once
        for spec, params in zip(runs, full):
            # JSON of plain values is exact; anything else (an array, whose str is abbreviated) is built each time.
            plain = all(type(v) in (int, float, bool, str) for v in spec.schedule_params.values())
            schedule = schedule_key(spec.schedule, spec.schedule_params, 0) if plain else None
            if schedule is None or schedule not in cycling:
                cycling[schedule] = build_lr_plan(spec.schedule, spec.schedule_params).schedule.cycles_momentum
            cycles = cycling[schedule]
            if cycles and OPTIMIZERS[spec.optimizer].momentum_key is None:
                raise ValueError(f"{spec.optimizer} has no momentum or beta1 for the schedule to cycle; "
                                 "set schedule.cycle_momentum = false")
            by_key.setdefault(optimizer_key(spec.optimizer, params) + str(cycles), []).append(
                {"name": spec.optimizer, "params": params})
        for group in by_key.values():
            indices = np.arange(len(group))
            build_optimizer_group(group[0]["name"], [g["params"] for g in group], indices, len(group))

    # -- set-up --------------------------------------------------------------
    def reset(self) -> None:
        """Back to step 0 with the runs as first given (their mid-run changes are replayed as they come)."""
        self.revision += 1
        self.loss = self._initial_loss
        self.specs = [self._completed(spec) for spec in self._initial_specs]
        n_runs = len(self.specs)
        starts = [self.loss.start if s.start is None else s.start for s in self.specs]
        self.params = np.array(np.stack([np.asarray(s, dtype=np.float64) for s in starts]), dtype=np.float64)
        if self.params.shape[1] != self.loss.n_params:
            raise ValueError(f"start must have {self.loss.n_params} values, got {self.params.shape[1]}")
        self.step_count = 0
        self._init_run_arrays(n_runs)
        self._regroup({run: None for run in range(n_runs)}, {run: None for run in range(n_runs)})
        self.monitor = Monitor(self, self.budget) if self.diagnostics else None
        with np.errstate(all="ignore"):
            self._evaluate_state()
            self._check_divergence()  # a start where the loss or a parameter is already non-finite: step 0
            self._record()
            self._apply_due_changes()
            self._observe()

    def _completed(self, spec: RunSpec) -> RunSpec:
        spec = spec.copy()
        spec.optimizer_params = self._full_optimizer_params(spec.optimizer, spec.optimizer_params)
        if not spec.label:
            spec.label, spec.auto_label = spec.default_label(spec.optimizer_params["lr"]), True
        return spec

    def _init_run_arrays(self, n_runs: int) -> None:
        self.lr_scale = np.ones(n_runs)
        self.start_scale = np.ones(n_runs)
        self.schedule_offset = np.zeros(n_runs, dtype=np.int64)
        self.active = np.ones(n_runs, dtype=bool)
        self.diverged_at = np.full(n_runs, -1, dtype=np.int64)
        self.edits = np.zeros(n_runs, dtype=np.int64)  # changes applied to each run so far
        self.edit_count = 0  # their sum
        # A copy without history (a check's try) keeps its highest loss on the way: a fix that ends low after
        # blowing the loss up a million-fold is shown after the calm ones (trials.Check.best).
        self.peak_loss = np.full(n_runs, -np.inf)
        self._diverged_now = False
        self.events: list[Event] = []
        self._event_cache: dict = {}
        extra = MODEL_FIELDS if self.loss.is_model else ()
        rows, buckets = self._history_rows if self.recording else 4, 2048
        member = self.loss.members_of(n_runs)
        if rows is None and self.recording and n_runs and member.max() > 0:
            # Runs of several losses (stacked) keep what each loss's own simulation would.
            rows, buckets = plan_rows(int(np.bincount(member).max()), self.loss.n_params, 3 + len(extra))
        self.history = History(n_runs, self.loss.n_params, extra, recent_rows=rows, max_buckets=buckets)
        self._metrics = np.full((len(extra), n_runs), np.nan)
        self._opt_groups: list[OptimizerGroup] = []
        self._sched_groups: list = []
        self._pending_changes()

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

    def _regroup(self, opt_states: dict, controller_states: dict) -> None:
        """Rebuild the groups; `opt_states[run]` is its state rows, or None for a fresh start."""
        self._build_schedule_groups(controller_states)
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
        self._unscaled = bool(np.all(self.lr_scale == 1.0))  # the LR in force is the schedule's own

    def cycles_momentum(self, run: int) -> bool:
        """True when the run's schedule overrides its momentum (or Adam's beta1) each step."""
        return self._group_of(run).schedule.cycles_momentum

    def _build_schedule_groups(self, controller_states: dict) -> None:
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
            if group.controller is not None:
                saved = [controller_states.get(r) for r in runs]
                fresh = group.controller_state
                assert fresh is not None  # a group with a controller starts with its state
                group.controller_state = stack_rows(
                    [take_rows(fresh, slice(i, i + 1)) if s is None else s for i, s in enumerate(saved)]
                )
            groups.append(group)
        self._sched_groups = groups
        self._schedule_blocks: list = [None] * len(groups)
        self._no_momentum = np.full(self.n_runs, np.nan)
        self._no_momentum.flags.writeable = False

    def _group_of(self, run: int):
        return next(g for g in self._sched_groups if np.any(g.indices == run))

    # -- stepping ------------------------------------------------------------
    def _evaluate_state(self) -> None:
        """Loss, gradient, learning rate and momentum at the current step."""
        batch = self.sampler.indices(self.step_count) if self.sampler else None
        self.loss_now, self.grad_now = self.loss.value_and_grad(self.params, batch)
        self.grad_norm = np.sqrt(np.einsum("ij,ij->i", self.grad_now, self.grad_now))
        self.lr_now, self.momentum_now = self._schedule_values()
        if self.loss.is_model and self.recording and self.step_count % self.eval_every == 0:
            metrics = self.loss.evaluate(self.params)
            for i, name in enumerate(MODEL_FIELDS):
                self._metrics[i] = metrics[name]

    def _schedule_values(self) -> tuple[np.ndarray, np.ndarray]:
        groups = self._sched_groups
        whole = len(groups) == 1 and isinstance(groups[0].select, slice)
        lr: np.ndarray | None = None if whole else np.empty(self.n_runs)
        momentum = self._no_momentum
        t = self.step_count
        for i, group in enumerate(groups):
            # Past a schedule's last step (onecycle's total_steps) torch raises;
            # the scenario loader refuses such budgets, and mid-run the last value holds.
            values, cycled = self._scheduled(i, t - group.offset)
            if group.controller is not None:
                values = group.controller.adjust(group.controller_state, values)
            if lr is None:  # whole: the one group's values are every run's, in order
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
        group = self._sched_groups[i]
        if group.schedule.step_limit is not None:
            local_t = min(local_t, group.schedule.step_limit)
        block = self._schedule_blocks[i]
        start = local_t - local_t % SCHEDULE_BLOCK
        if block is None or block[0] != start:
            steps = np.arange(start, start + SCHEDULE_BLOCK, dtype=np.int64)
            if group.schedule.step_limit is not None:
                steps = np.minimum(steps, group.schedule.step_limit)
            with np.errstate(all="ignore"):
                # Schedules are closed forms over arrays of steps; lr_at(t) is this for one step.
                lr = group.schedule.curve(steps, np.asarray(group.base_lr, dtype=np.float64).reshape(-1))
            block = self._schedule_blocks[i] = (start, lr, group.schedule.momentum_curve(steps))
        row = local_t - start
        return block[1][row], None if block[2] is None else block[2][row]

    def _record(self) -> None:
        if self.recording:
            self.history.append_columns((self.lr_now, self.loss_now, self.grad_norm, *self._metrics),
                                        self.params if self.history.records_params else None)
        else:
            self.peak_loss = np.fmax(self.peak_loss, self.loss_now)

    def _observe(self) -> None:
        if self.monitor is not None:
            self.monitor.observe(self.frame())

    def frame(self) -> StepFrame:
        """This step, as the monitor sees it."""
        if self._unscaled:
            schedule_lr = self.lr_now
        else:
            with np.errstate(all="ignore"):
                schedule_lr = self.lr_now / np.where(self.lr_scale > 0, self.lr_scale, 1.0)
        views = tuple(OptimizerView(g.indices, g.optimizer, g.state) for g in self._opt_groups)
        return StepFrame(self.step_count, self.loss_now, self.grad_now, self.grad_norm, self.lr_now, schedule_lr,
                         self.params, self.diverged_at, self.edits, self.edit_count, self._diverged_now, views)

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
        self.revision += 1
        for i, group in enumerate(self._sched_groups):
            if group.controller is not None:
                coming, _ = self._scheduled(i, self.step_count - group.offset)
                group.controller_state = group.controller.observe(group.controller_state, coming,
                                                                  taken_loss[group.select])
                self._mark_controller_cuts(group)
        self._evaluate_state()
        self._check_divergence()
        self._record()
        if self.step_count >= self._next_change:
            self._apply_due_changes()
        self._observe()

    def _mark_controller_cuts(self, group) -> None:
        cut = group.controller_state["reduced"]
        if cut.any():
            lr, _ = self._schedule_values()
            for i in np.flatnonzero(cut):
                run = int(group.indices[i])
                self.events.append(Event(self.step_count, run, "plateau_cut", f"plateau: lr cut to {lr[run]:.4g}"))

    def _check_divergence(self) -> None:
        self._diverged_now = False
        # One sum is non-finite when any value is (or, rarely, when finite values overflow it).
        if self._all_active and math.isfinite(np.add.reduce(self.loss_now) + np.add.reduce(self.params, axis=None)):
            return
        bad = self.active & ~(np.isfinite(self.loss_now) & np.isfinite(self.params).all(axis=1))
        if not bad.any():
            return
        self._diverged_now = True
        for run in np.flatnonzero(bad):
            self.diverged_at[run] = self.step_count
            self.history.stop_run(int(run), self.step_count)
            self.events.append(Event(self.step_count, int(run), "diverged", "loss or parameters became non-finite"))
        states = self._saved_optimizer_states()
        self.active &= ~bad
        self._regroup(states, self._saved_controller_states())

    # -- the plan ahead ------------------------------------------------------
    def planned_lr(self, run: int, until: int) -> tuple[np.ndarray, np.ndarray]:
        """Steps now..until and the LR the run's schedule plans for them.

        Reduce-on-plateau cannot be planned (it depends on future losses), so
        its current value is held; so is a diverged run's.
        """
        now = self.step_count
        steps = np.arange(now, max(now, until) + 1)
        return steps, self.lr_block(run, now, len(steps))

    def lr_block(self, run: int, first: int, count: int) -> np.ndarray:
        """The LR the run's plan gives at steps first..first + count - 1 (NaN past a schedule's last step)."""
        group = self._group_of(run)
        if group.controller is not None or self.diverged_at[run] >= 0 or (first == self.step_count and count == 1):
            return np.full(count, float(self.lr_now[run]))
        pos = int(np.flatnonzero(group.indices == run)[0])
        base = group.base_lr[pos : pos + 1]
        values = np.asarray(group.schedule.lr_block(max(0, first - group.offset), count, base))[:, 0]
        values = values * self.lr_scale[run]
        scale = 1.0
        for step, change in self.queued_lr_changes(run):
            # A change of LR queued for a later step (a fix replayed from where the engine tried it) shows in the
            # plan before play reaches it (walkthrough 13a, A12), as the update will use it: x factor, or the
            # schedule scaled so that it gives the new LR there.
            if "optimizer.lr_factor" in change:
                factor = float(change["optimizer.lr_factor"])
            else:
                there = float(np.asarray(group.schedule.lr_block(max(0, step - group.offset), 1, base))[0, 0])
                current = there * self.lr_scale[run] * scale
                factor = float(change["optimizer.lr"]) / current if current > 0 else math.nan
                if not (math.isfinite(factor) and factor > 0):
                    break
            scale *= factor
            values[max(0, step - first):] *= factor
        return values

    def plan_key(self, run: int) -> tuple:
        """What the run's planned LR depends on: equal keys, equal plans."""
        spec = self.specs[run]
        group = self._group_of(run)
        held = group.controller is not None or self.diverged_at[run] >= 0
        return (spec.schedule, repr(sorted(spec.schedule_params.items())), int(self.schedule_offset[run]),
                float(spec.optimizer_params["lr"]), float(self.lr_scale[run]),
                float(self.lr_now[run]) if held else None, repr(self.queued_lr_changes(run)))

    def schedule_events(self, run: int, until: int) -> list[tuple[int, str]]:
        """Where the run's schedule warms up, decays, restarts... up to step `until`, for markers.

        Plateau cuts are not planned; they appear in `events` as they happen.
        """
        group = self._group_of(run)
        if group.controller is not None:
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

    # -- copies, for trying a change before showing it ---------------------------
    def branch(self, runs, changes) -> "Simulation":
        """Copies of `runs` (a run may appear more than once) that continue exactly from this step, copy i then
        changed by `changes[i]` (a dict as `apply_changes` takes, or None for an unchanged copy). The copies
        have no diagnostics and no history: they are for seeing where a change leads."""
        idx = np.asarray(runs, dtype=np.int64)
        twin = object.__new__(Simulation)
        twin.loss = twin._initial_loss = self.loss.rows(idx)
        twin.seed, twin.eval_every, twin.budget = self.seed, self.eval_every, self.budget
        twin.sampler = None if self.sampler is None else BatchSampler(self.loss.n_train, self.loss.batch_size,
                                                                      self.seed)
        twin.diagnostics, twin.recording, twin._history_rows, twin.monitor = False, False, None, None
        now = self.step_count
        twin.specs = [self.specs[r].copy(changes=[c for c in self.origins[r].changes if c.step > now]) for r in idx]
        twin._initial_specs = twin.specs
        twin.params = self.params[idx].copy()
        twin.step_count, twin.revision = now, 0
        twin._init_run_arrays(idx.size)
        for name in ("lr_scale", "start_scale", "schedule_offset", "active", "diverged_at", "edits"):
            setattr(twin, name, getattr(self, name)[idx].copy())
        twin.edit_count = int(twin.edits.sum())
        twin._metrics = self._metrics[:, idx].copy()
        opt, ctl = self._saved_optimizer_states(), self._saved_controller_states()
        twin._regroup({i: opt.get(int(r)) for i, r in enumerate(idx)},
                      {i: ctl.get(int(r)) for i, r in enumerate(idx)})
        twin.loss_now, twin.grad_now = self.loss_now[idx].copy(), self.grad_now[idx].copy()
        twin.grad_norm = self.grad_norm[idx].copy()
        twin.lr_now, twin.momentum_now = twin._schedule_values()
        refused = []
        for i, change in enumerate(changes):
            if change and twin.diverged_at[i] < 0:
                try:
                    twin._apply(i, dict(change))
                except ValueError:  # a change this run cannot take (momentum for Adam, say): it goes nowhere
                    refused.append(i)
        if refused:
            twin.diverged_at[refused] = now
            twin.active[refused] = False
            twin._regroup(twin._saved_optimizer_states(), twin._saved_controller_states())
        return twin

    def restarted(self, specs: list[RunSpec], record: bool = False, runs=None) -> "Simulation":
        """A new simulation of this one's loss, seed and budget from step 0, for other specs; spec i is a run
        of the loss of run `runs[i]` (needed when the runs' losses differ: a stacked loss)."""
        loss = self.loss if runs is None else self.loss.rows(runs)
        return Simulation(loss, specs, seed=self.seed, eval_every=self.eval_every, budget=self.budget,
                          diagnostics=False, record=record)

    def run(self, until: int) -> None:
        """Step until `until` steps have been taken (or every run has diverged)."""
        self.step(max(0, until - self.step_count))

