"""Watches a simulation as it steps and says, per run, what the learning rate is doing, having checked it.

Every step the simulation hands over a frozen StepFrame and the monitor updates a few running numbers for
all runs at once. Every `every` steps (a checkpoint: 5 steps, or 1/200 of a long budget) it measures the
evidence, spots the claims worth checking (a run that looks too slow, bouncing, stuck...), checks them by
trying their fixes on copies of the runs (trials.py; in a sweep the neighbouring runs are evidence too),
and takes each run's verdict from the rule table (verdicts.py). A claim seen at two checkpoints in a row is
checked: a finding comes at most 2 x `every` steps (max(10 steps, 1% of the budget)) after it starts to
hold; a non-finite loss at once.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from lrtui.core.diagnostics.checkbook import CLAIMS, CheckBook
from lrtui.core.diagnostics.curvature import Curvature
from lrtui.core.diagnostics.evidence import FAR, SMOOTH, Evidence, gaps, progress, window_for
from lrtui.core.diagnostics.fixes import candidates, fixes_for
from lrtui.core.diagnostics.floors import known_floor, start_cause
from lrtui.core.diagnostics.running import running_stats
from lrtui.core.diagnostics.seen_floor import SeenFloors
from lrtui.core.diagnostics.siblings import WAIT, Siblings
from lrtui.core.diagnostics.trials import (MIN_AHEAD, Check, curves_down, edited_peak, end_capped,
                                          from_start_if_much_better, horizon_for, run_checks)
from lrtui.core.diagnostics.types import Diagnosis
from lrtui.core.diagnostics.verdicts import CODES, IMPROVING, RULES, edge_diagnosis, edge_of_stability
from lrtui.core.frame import StepFrame
from lrtui.core.run_spec import changed_after_start
from lrtui.core.sharpness import EXACT_LIMIT

CHECKED = CLAIMS
MAX_COPIES = 8192  # run copies tried at one checkpoint at most (per loss, when losses are stacked); the rest wait
EARLY_SAMPLES = 5  # steps sampled one by one at the start, on small losses (exact Hessians: cheap)
SWEEP_RUNS = 64  # runs of one loss past which a sweep's sharpness is sampled every fourth checkpoint
TRAIL = 400  # checkpoint rows kept for the halfway gap at most
MAX_RAW = 16  # flat runs whose Hessian extremes are measured at one checkpoint, at most
LONG_HORIZON = 20_000  # how far an unchanged copy is followed to see whether a stuck run stays stuck
DIVERGED = CODES.index("diverged")

_CODE_ROW = np.array([CODES.index(code) for code in CODES])  # each rule's first entry with its code


def checkpoint_every(budget: int | None) -> int:
    return max(5, (budget or 0) // 200)


class Monitor:
    def __init__(self, sim, budget: int | None = None):
        self.sim = sim
        self.budget = budget
        n = sim.n_runs
        self.every = checkpoint_every(budget)
        # Sharpness every checkpoint on small problems; a large sweep's every fourth, a model's every 25 steps.
        # A sweep is the runs of one loss: those of a stacked loss's members are sampled as their own
        # simulations would be (lrtui.core.losses.stacked).
        member = sim.loss.members_of(n)
        alike = int(np.bincount(member).max()) if n else 0
        if sim.loss.n_params > EXACT_LIMIT:
            self.sample_every = max(self.every, 25)
        else:
            self.sample_every = self.every * (4 if alike > SWEEP_RUNS else 1)
        self.running = running_stats(n, sim.loss.n_params)
        self.curvature = Curvature(sim.loss, n)
        self.floor = known_floor(sim.loss)
        # A data model's 0 is a lower bound, not its minimum (cross-entropy on overlapping classes, plus L2, stays
        # above it): gaps are measured from it, but it does not prove lower ground exists.
        self.floor_is_minimum = self.floor is not None and not sim.loss.is_model
        self.seen = SeenFloors(sim, budget, self.floor is None)  # no floor: checks judged by the contract's (seen_floor.py)
        self.book = CheckBook(n)
        self._held = {code: np.zeros(n, dtype=np.int64) for code in CHECKED}
        self.siblings = Siblings(sim, self.book)
        self._set_lr_cache: tuple | None = None
        self._causes: tuple | None = None
        self._raw = np.full(n, IMPROVING)
        self._codes = np.full(n, IMPROVING)
        self._since = np.zeros(n, dtype=np.int64)  # step where each run's current raw verdict began
        self._edits = np.zeros(n, dtype=np.int64)
        self._edit_count = 0
        self._reported = np.zeros((len(CODES) + 1, n), dtype=bool)  # (verdict code, or edge of stability) x run
        self.found: list[Diagnosis] = []
        self._found_by_run: dict[int, list[Diagnosis]] = {}
        self.evidence_now: Evidence | None = None
        # Each checkpoint's smoothed loss, to read the gap halfway through the run (thinned past TRAIL rows).
        self._trail_steps: list[int] = []
        self._trail: list[np.ndarray] = []
        self._fresh_from = np.zeros(n, dtype=np.int64)  # step of each run's last change by hand
        self._summaries: dict[int, Diagnosis] = {}
        # Each run's oscillating check from the start over the whole budget: the same copies whenever it is asked
        # (until the run is changed), so it is run once and kept.
        self._whole_confirms: dict[int, Check] = {}

    # The latest sharpness numbers, for the app's gauge and curvature panel.
    top = property(lambda self: self.curvature.top)
    bottom = property(lambda self: self.curvature.bottom)
    max_top = property(lambda self: self.curvature.max_top)
    limit = property(lambda self: self.curvature.limit)
    formula = property(lambda self: self.curvature.formula)
    record = property(lambda self: self.curvature.record)

    @property
    def n_runs(self) -> int:
        return self._codes.size

    def add_runs(self, parents: list[int]) -> None:
        """Forked runs inherit their parent's numbers (and are judged afresh from the fork on)."""
        idx = np.asarray(parents, dtype=np.int64)
        self.running = self.running.add_runs(parents)
        self.curvature.add_runs(parents)
        for code in CHECKED:
            self._held[code] = np.concatenate([self._held[code], np.zeros(idx.size, dtype=np.int64)])
        self._trail = [np.concatenate([row, row[idx]]) for row in self._trail]
        for name in ("_raw", "_codes", "_since", "_edits", "_fresh_from"):
            values = getattr(self, name)
            setattr(self, name, np.concatenate([values, values[idx]]))
        self._reported = np.concatenate([self._reported, self._reported[:, idx]], axis=1)
        self.book.add_runs(parents)
        self.siblings.refresh()
        if self.evidence_now is not None:
            self.evidence_now = self.evidence_now.with_runs(parents)
        self._summaries = {}

    # -- every step -------------------------------------------------------------------
    def observe(self, frame: StepFrame) -> None:
        self.running.update(frame)
        self.curvature.advance(frame.step)
        if frame.edit_count != self._edit_count:
            edited = frame.edits != self._edits
            self._forget(np.flatnonzero(edited))
            self._edits, self._edit_count = frame.edits.copy(), frame.edit_count
        # Small losses: every step at first (lesson 1 after `+ +` blew up from a hilltop before a calm sample).
        if frame.step % self.sample_every == 0 or (self.curvature.exact and frame.step < EARLY_SAMPLES):
            # A sample taken in a blow-up (the loss over twice its starting height above the floor) does not
            # count towards the largest sharpness met: the gauge is about where the run trains.
            r = self.running
            floor = self.floor if self.floor is not None else np.minimum(0.0, r.best_loss)
            with np.errstate(all="ignore"):
                calm = np.isfinite(frame.loss) & (frame.loss - floor <= 2.0 * (r.first_loss - floor))
            self.curvature.sample(frame, calm)
        at_end = self.budget is not None and frame.step == self.budget
        new_divergence = frame.diverged_now and frame.step > 0
        if frame.step % self.every == 0 or at_end or new_divergence:
            self._checkpoint(frame)

    def _forget(self, runs: np.ndarray) -> None:
        """A run changed by hand (or by a fix) is judged afresh: its counters, checks and findings start again
        (a finding it had before the change may be found anew)."""
        for code in CHECKED:
            self._held[code][runs] = 0
        self._fresh_from[runs] = self.sim.step_count
        for run in runs.tolist():
            self._whole_confirms.pop(int(run), None)
        self._reported[:, runs] = False
        self.book.forget(runs)
        self.running.uncut(runs)
        self.siblings.refresh()

    # -- checkpoints ----------------------------------------------------------------------
    def _checkpoint(self, frame: StepFrame) -> None:
        on_grid = frame.step % self.every == 0 or (self.budget is not None and frame.step == self.budget)
        with np.errstate(all="ignore"):
            e = self._measure(frame)
            # A flat run far from the floor is judged by the Hessian's own curvature (a minimum, a saddle or a
            # shoulder); where the samples are of P^-1 H only, it is measured now, for those runs.
            flat = np.flatnonzero(self.curvature.missing_raw() & e.flat & (e.gap > FAR) & ~e.diverged)
            if flat.size:
                self.curvature.fill_raw(frame.params, flat[:MAX_RAW])
                e = dataclasses.replace(e, raw_top=self.curvature.raw_top.copy(),
                                        raw_bottom=self.curvature.raw_bottom.copy())
            wanted = candidates(e)
            # Only the regular checkpoints count towards a claim's two in a row (a divergence may add others).
            for code in CHECKED if on_grid else ("diverged",):
                self._held[code] = np.where(wanted[code], self._held[code] + 1, 0)
            if self._check(frame, e, wanted):
                e = dataclasses.replace(e, confirmed=self.book.confirmed(), tried=self.book.tried_by_claim())
            raw = RULES.choose(e)
        self._settle(frame, e, raw)
        self.evidence_now = e
        self._summaries = {}  # made when asked for, until the next checkpoint

    def _measure(self, frame: StepFrame) -> Evidence:
        sim, r, c = self.sim, self.running, self.curvature
        n = self.n_runs
        step = frame.step
        budget = self.budget if self.budget is not None else max(step, 100)
        window = window_for(budget)
        steps, recent = sim.history.recent("loss", window + SMOOTH)
        have = recent.shape[0]
        span = max(0, min(window, have - SMOOTH))
        now = _mean(recent[have - SMOOTH:]) if have >= SMOOTH else frame.loss
        then = _mean(recent[have - SMOOTH - span: have - span]) if span > 0 else now
        now = np.where(np.isfinite(frame.loss), now, frame.loss)
        floor = np.full(n, self.floor) if self.floor is not None else np.minimum(0.0, r.best_loss)
        gap_now, gap_then = gaps(now, floor, r.first_loss), gaps(then, floor, r.first_loss)
        gap_half = gaps(self._halfway(step, now), floor, r.first_loss)
        rate, needed = progress(gap_then, gap_now, span)
        scheduled = self.siblings.scheduled
        return Evidence(
            step=step, budget=budget, remaining=np.full(n, budget - step, dtype=np.int64), loss=now,
            last_loss=np.asarray(frame.loss, dtype=np.float64),
            first=r.first_loss, best=r.best_loss, floor=floor, known_floor=self.floor_is_minimum,
            floor_is_bound=self.floor is not None and not self.floor_is_minimum,
            gap=gap_now, gap_then=gap_then, gap_half=gap_half, window=span, rate=rate, needed=needed, grad_norm=frame.grad_norm,
            grad_ratio=frame.grad_norm / np.where(r.max_grad > 0, r.max_grad, np.nan),
            nonfinite=~np.isfinite(frame.loss), diverged_at=frame.diverged_at, cos_update=r.cos_update,
            flip_rate=r.flip_rate, lr=frame.lr, set_lr=self._set_lrs(), top=c.top, bottom=c.bottom, raw_top=c.raw_top,
            raw_bottom=c.raw_bottom, max_top=c.max_top,
            max_top_step=c.max_top_step, limit=c.limit, formula=tuple(c.formula), preconditioned=c.preconditioned,
            scheduled=scheduled, schedule_peak=r.schedule_peak, schedule_lr=frame.schedule_lr, cut_step=r.cut_step,
            full_batch_model=bool(sim.loss.is_model and sim.loss.batch_size is None),
            batch_model=bool(sim.loss.is_model and sim.loss.batch_size is not None),
            start_cause=self._start_causes(frame),
            confirmed=self.book.confirmed(), tried=self.book.tried_by_claim(),
            **dict(zip(("past_limit_step", "past_limit_top"), c.past_limit(frame.diverged_at))))

    def _halfway(self, step: int, now: np.ndarray) -> np.ndarray:
        """Each run's smoothed loss at the checkpoint nearest before halfway from its last change to `step`."""
        if not self._trail_steps or self._trail_steps[-1] != step:
            self._trail_steps.append(step)
            self._trail.append(np.array(now, dtype=np.float64))
            if len(self._trail_steps) > TRAIL:  # keep every other row: the halfway point stays within a row
                self._trail_steps, self._trail = self._trail_steps[::2] + [step], self._trail[::2] + [self._trail[-1]]
        steps = np.asarray(self._trail_steps)
        if not self._fresh_from.any():  # nobody changed by hand: one halfway row for all
            i = int(np.clip(np.searchsorted(steps, step // 2, side="right") - 1, 0, len(steps) - 1))
            return self._trail[i]
        half = self._fresh_from + (step - self._fresh_from) // 2
        idx = np.clip(np.searchsorted(steps, half, side="right") - 1, 0, len(steps) - 1)
        out = np.empty(now.shape, dtype=np.float64)
        for i in sorted(set(idx.tolist())):  # most runs share one halfway row
            chosen = idx == i
            out[chosen] = self._trail[i][chosen]
        return out

    def _start_causes(self, frame: StepFrame) -> tuple:
        """Why each run that diverged at step 0 did (found once, at the start)."""
        if self._causes is None or len(self._causes) != self.n_runs:
            self._causes = tuple(start_cause(self.sim.loss.rows([run]), frame.params[run], float(frame.loss[run]))
                                 if frame.diverged_at[run] == 0 else "" for run in range(self.n_runs))
        return self._causes

    def _set_lrs(self) -> np.ndarray:
        """Each run's LR before its schedule (its optimizer's lr times any change by hand); cached until an edit."""
        sim = self.sim
        key = (sim.n_runs, int(sim.edits.sum()))
        if self._set_lr_cache is None or self._set_lr_cache[0] != key:
            base = np.array([spec.optimizer_params["lr"] for spec in sim.specs], dtype=np.float64)
            self._set_lr_cache = (key, base)
        return self._set_lr_cache[1] * sim.lr_scale

    def _check(self, frame: StepFrame, e: Evidence, wanted: dict) -> bool:
        """Check the claims that are due; True if anything was recorded."""
        final = self.budget is not None and frame.step >= self.budget
        self.siblings.reopen_past_ceiling()
        due: list[tuple[int, str]] = []
        recorded = False
        for code in CHECKED:
            ready = wanted[code] & (self._held[code] >= (1 if code == "diverged" else 2))
            if not ready.any():
                continue
            runs = np.flatnonzero(self.book.due(code, ready, e.remaining, e.budget, final, MIN_AHEAD))
            answered = self.siblings.evidence(runs, code, e, frame) if runs.size else {}
            for run in runs.tolist():
                found = answered.get(run)
                if found is None:
                    due.append((run, code))
                elif found is not WAIT:
                    self.book.record(run, code, found.helped, found, int(e.remaining[run]), True, True)
                    recorded = True
        if not due:
            return recorded
        checks: list[Check] = []
        # Each loss's runs have their own budget of copies, as they would in their own simulation.
        member = self.sim.loss.members_of(self.n_runs)
        copies = np.zeros(int(member.max()) + 1 if member.size else 1, dtype=np.int64)
        for run, code in due:
            mine = member[run]
            if copies[mine] > MAX_COPIES:
                continue
            check = self._plan(run, code, e.at(run), final)
            if check is None:
                continue
            copies[mine] += len(check.fixes) + (0 if check.from_start else 1)
            if copies[mine] > MAX_COPIES:
                continue
            checks.append(check)
            left = int(e.remaining[run])
            if code == "diverged" and not (e.nonfinite[run] or e.diverged_at[run] >= 0) and not final:
                # A finite blow-up is divergence only if it stays: the unchanged run, continued, tells.
                checks.append(Check(run, "stays_blown_up", [], False, horizon_for(self.sim, left),
                                    float(e.floor[run]), float(e.first[run])))
            if code in ("plateau", "local_minimum") and left > 0:
                # Stuck means stuck for the rest of the budget: the unchanged run, continued alone, tells.
                checks.append(Check(run, "stays_stuck", [], False, max(1, min(left, LONG_HORIZON)),
                                    float(e.floor[run]), float(e.first[run]), float(e.loss[run])))
        run_checks(self.sim, checks)
        self.seen.lower(checks, e)
        confirms, max_grad = self._confirm_from_start(checks, e), self.running.max_grad
        stays = {(c.run, c.code): c for c in checks if c.code in ("stays_blown_up", "stays_stuck")}
        for check in checks:
            if check.code in ("stays_blown_up", "stays_stuck"):
                continue
            tried = check.tried() if check.outcomes else None
            helped = tried is not None and tried.helped
            holds = helped
            if check.code == "diverged":
                confirm = stays.get((check.run, "stays_blown_up"))
                holds = confirm is None or not (confirm.baseline - confirm.floor <= 4 * (confirm.start_loss - confirm.floor))
            elif check.code == "local_minimum":  # a known lower floor proves it; below a bound, a try must go lower
                # ...and stuck there for the rest of the budget (a run that climbs out later was only passing by),
                # at rest with a small gradient and no negative curvature where it ends (the contract's w_B, v2d)
                c, top = stays.get((check.run, "stays_stuck")), max_grad[check.run]
                rest = c is None or c.stays() and c.small_at_end(self.sim) and c.at_rest(self.sim, top, 1e-3)
                holds = (self.floor_is_minimum or helped) and rest and not curves_down(c, self.sim, check.run, False)
            elif check.code == "plateau":  # stuck, unless the unchanged run gets out by itself before the end...
                confirm = stays.get((check.run, "stays_stuck"))
                holds = confirm is None or confirm.stays() and confirm.small_at_end(self.sim)
                # ...and not at the bottom: a saddle curves down; a flat stretch is above a known minimum, or a
                # change tried from here goes much lower
                # (a saddle where the unchanged run ends, as the contract judges it: trials.curves_down)
                holds = holds and bool(self.floor_is_minimum or helped
                                       or curves_down(confirm, self.sim, check.run, e.negative_curvature[check.run]))
            elif check.code == "converged":
                holds = not helped  # lower ground from here: a local minimum, not convergence
            elif check.code in ("too_slow", "oscillating", "schedule_too_aggressive"):
                # ...and the unchanged run, left alone, ends short of the tolerance (else it converges: healthy)
                holds = helped and not check.reaches_tolerance()
            confirm = confirms.get(id(check))
            if confirm is not None and holds:
                # A smaller LR from now helped; the claim is that one from the start does. Without the confirmation
                # nothing is shown; with it, the fix from now, or from the start where that ends much lower.
                holds = confirm.best()[0] is not None and not confirm.reaches_tolerance()
                if not holds:
                    self.book.record(check.run, check.code, False, confirm.tried(), int(e.remaining[check.run]),
                                     confirm.horizon >= e.budget)
                    continue
                tried = from_start_if_much_better(tried, confirm, int(e.budget))
            self.book.record(check.run, check.code, holds, tried, int(e.remaining[check.run]), check.from_start)
        return True

    def _plan(self, run: int, code: str, e: Evidence, final: bool = False) -> Check | None:
        remaining = int(e.remaining)
        from_start = code == "diverged" or remaining < MIN_AHEAD or final
        # "Too slow" is a claim about the LR from the start: a larger one, run for the whole budget, ends much
        # lower than this run will (its unchanged copy, continued to the end). A larger LR switched on mid-run
        # after a stretch at the small one is another experiment, and can win where no larger LR would.
        # (A run changed by hand is asked from now: its own timeline after the change is the question.)
        # The same holds for a schedule too aggressive (the peak held, or a gentler schedule, from the start) and
        # for lower ground where there is no floor (converged, or a local minimum: the grid and M from the start).
        whole = (code in ("too_slow", "schedule_too_aggressive", "converged") and not from_start
                 and self.budget is not None and not changed_after_start(self.sim.origins[run]))
        spec = self.sim.start_spec(run)
        start_lr = ((edited_peak(self.sim, run) if code == "diverged" else self._start_lr(run))
                    if (from_start or whole) else None)
        fixes = fixes_for(code, e, spec, self.siblings.diverged_lrs(run), start_lr,
                          self.sim.loss.is_model)
        if not fixes:
            return None
        # Both copies must reach the end of the budget (no horizon cut) for the comparison to be fair.
        if (whole and start_lr is not None and horizon_for(self.sim, e.budget) == e.budget
                and horizon_for(self.sim, remaining) == remaining and remaining > 0):
            check = Check(run, code, fixes, True, int(e.budget), float(e.floor), float(e.first), float(e.loss),
                          baseline_ahead=remaining)
            # Too slow's cap is the stable limit at the unchanged run's own final point (the contract's s_end).
            return end_capped(check, e, spec, start_lr, self.siblings.diverged_lrs(run), self.sim)
        horizon = horizon_for(self.sim, e.budget if from_start else remaining)
        check = Check(run, code, fixes, from_start, horizon, float(e.floor), float(e.first), float(e.loss))
        if from_start:
            diverged = bool(e.diverged)
            check.baseline = math.inf if diverged else float(e.loss)
            check.baseline_diverged = diverged
            if code == "oscillating" and not diverged:
                # Against the unchanged run's end, as the contract asks: a bouncing run ends where its last step
                # leaves it, not at the mean of its last steps (which mixes the two sides of the bounce), nor
                # where it is a few steps before the end. Short of the end, an unchanged copy replays beside the
                # fixes; at the end, without mini-batches, the last loss is exact.
                if remaining > 0 and horizon == e.budget:
                    check.replay = True
                elif not (self.sim.loss.is_model and self.sim.loss.batch_size):
                    check.baseline = float(e.last_loss)
        return end_capped(check, e, spec, start_lr, self.siblings.diverged_lrs(run), self.sim)

    def _confirm_from_start(self, checks: list[Check], e: Evidence) -> dict:
        """For each oscillating check from now whose smaller LR helped: the contract's question, a smaller constant
        LR from the start (the schedule kept) ends much lower than the unchanged run will. An annealing switched on
        from now can help a little where no smaller LR from the start does (an adaptive optimizer at its own
        edge). Over the whole budget, against the unchanged run continued to its end, where that fits in a check;
        else from the start over the check's horizon, against an unchanged replay as far. Only the runs that
        bounce and that the cheaper try from now could not clear pay for it (the edge-of-stability runs do not:
        nothing from now helps them). Returns id(check) -> its confirming check."""
        plans: dict[int, Check] = {}
        fresh: list[Check] = []
        for check in checks:
            run = check.run
            if (check.code != "oscillating" or check.from_start or self.budget is None
                    or changed_after_start(self.sim.origins[run]) or check.best()[0] is None
                    or check.reaches_tolerance()):
                continue  # (a run changed by hand is asked from now: its own timeline after the change)
            if run in self._whole_confirms:
                plans[id(check)] = self._whole_confirms[run]
                continue
            start_lr = self._start_lr(run)
            one = e.at(run)
            fixes = fixes_for("oscillating", one, self.sim.start_spec(run), self.siblings.diverged_lrs(run), start_lr,
                              self.sim.loss.is_model)
            if start_lr is None or not fixes:
                continue
            remaining, horizon = int(e.remaining[run]), horizon_for(self.sim, e.budget)
            if horizon == e.budget and horizon_for(self.sim, remaining) == remaining and remaining > 0:
                plan = Check(run, "oscillating", fixes, True, int(e.budget), float(e.floor[run]), float(e.first[run]),
                             float(e.loss[run]), baseline_ahead=remaining)
            else:
                plan = Check(run, "oscillating", fixes, True, horizon, float(e.floor[run]), float(e.first[run]),
                             float(e.loss[run]), replay=True)
            if sum(len(p.fixes) + 1 for p in fresh) + len(fixes) + 1 > MAX_COPIES:
                # Past this checkpoint's copies: not confirmed yet (asked again once the claim is stale).
                plan = Check(run, "oscillating", [], False, 0, float(e.floor[run]), float(e.first[run]))
                plans[id(check)] = plan
                continue
            plans[id(check)] = plan
            fresh.append(plan)
        if fresh:
            run_checks(self.sim, fresh)
            self.seen.lower(fresh, e)
        for plan in fresh:
            if plan.horizon >= e.budget:
                self._whole_confirms[plan.run] = plan
        return plans

    def _start_lr(self, run: int) -> float | None:
        """The LR in force at step 0 of the run's history (what a fix tried from the start scales)."""
        values = np.asarray(self.sim.history.series("lr", run)[1], dtype=np.float64)
        return float(values[0]) if values.size and np.isfinite(values[0]) and values[0] > 0 else None

    # -- verdicts and findings -----------------------------------------------------------
    def _settle(self, frame: StepFrame, e: Evidence, raw: np.ndarray) -> None:
        changed = raw != self._raw
        self._since = np.where(changed, frame.step, self._since)
        # A verdict counts once it is seen at two checkpoints in a row; improving and a non-finite loss at once.
        # At the end of the budget the last checkpoint has the last word (its checks ran from the start).
        at_end = self.budget is not None and frame.step >= self.budget
        settles = (~changed | (raw == IMPROVING) | ((raw == DIVERGED) & (e.nonfinite | (e.diverged_at >= 0)))
                   | at_end)
        self._codes = np.where(settles, raw, self._codes)
        self._raw = raw
        runs = np.arange(raw.size)
        # Each verdict code is reported once per run (plateau's two entries share one code).
        code_row = _CODE_ROW[raw]
        new = settles & (raw != IMPROVING) & ~self._reported[code_row, runs]
        for run in np.flatnonzero(new).tolist():
            rule = RULES.entries[int(raw[run])]
            self._reported[code_row[run], run] = True
            one = e.at(run)
            self._add(RULES.diagnosis(rule, one, self._dated(rule, one, run), run, one.tried.get(rule.code)))
        edge = edge_of_stability(e) & (self._codes != CODES.index("oscillating")) & ~self._reported[-1]
        for run in np.flatnonzero(edge).tolist():
            self._reported[-1, run] = True
            self._add(edge_diagnosis(e.at(run), frame.step, run))

    @property  # -- reading --
    def verdicts(self) -> list[str]:
        return [CODES[c] for c in self._codes]

    def verdict(self, run: int) -> str:
        """The run's verdict as of the last checkpoint."""
        return CODES[int(self._codes[run])]

    def diagnoses(self, run: int | None = None) -> list[Diagnosis]:
        """Findings in the order they were made, of one run or of all."""
        return list(self.found) if run is None else list(self._found_by_run.get(int(run), []))

    def _add(self, diagnosis: Diagnosis) -> None:
        self.found.append(diagnosis)
        self._found_by_run.setdefault(diagnosis.run, []).append(diagnosis)

    def summary(self, run: int) -> Diagnosis:
        """The run's current verdict as a Diagnosis, with the evidence of the last checkpoint."""
        run = int(run)
        if run not in self._summaries:
            rule = RULES.entries[int(self._codes[run])]
            assert self.evidence_now is not None  # judged at step 0, when the simulation is built
            one = self.evidence_now.at(run)
            self._summaries[run] = RULES.diagnosis(rule, one, self._dated(rule, one, run), run,
                                                   one.tried.get(rule.code))
        return self._summaries[run]

    def gauge(self, lr: np.ndarray) -> np.ndarray:
        return self.curvature.gauge(lr)

    def _dated(self, rule, one: Evidence, run: int) -> int:
        """Where the verdict began; a run gone non-finite at that step, as its status line and explanation say."""
        return int(one.diverged_at) if rule.code == "diverged" and one.diverged_at > 0 else int(self._since[run])


def _mean(rows: np.ndarray) -> np.ndarray:
    """The mean of each run's values over the rows; NaN where a row is not finite (a diverging run)."""
    return rows.sum(axis=0) / rows.shape[0]
