"""Short challenges that end some lessons: reach a target within the budget by changing only the LR or schedule.

The app checks the challenge when the run ends (the outcome table) and shows the best constant
LR the engine knows for it, found by a vectorized sweep of that run on copies
(`best_constant_lr`), so the answer is measured, never written down by hand. A test checks that
each challenge is not met as the file stands and is met at the sweep's best LR.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

SWEEP_POINTS = 25  # LRs on the sweep's log grid
MODEL_SWEEP_POINTS = 7  # a model's steps cost far more: one LR per decade
SWEEP_DECADES = 3.0  # each side of the run's own LR


@dataclass(frozen=True)
class Challenge:
    run: int
    metric: str  # "loss" (lower is better) or "test_accuracy" (higher is better)
    target: float
    text: str

    def met(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        return value >= self.target if self.metric == "test_accuracy" else value <= self.target

    def shown(self, value: float) -> str:
        if not math.isfinite(value):
            return "diverged"
        return f"{100 * value:.1f}%" if self.metric == "test_accuracy" else f"{value:.3g}"


CHALLENGES = {
    "too-high-oscillation": Challenge(0, "loss", 1e-6, "reach a loss below 1e-6 in 200 steps by changing only the LR"),
    "too-high-divergence": Challenge(0, "loss", 3.0, "make the diverged run end below 3 by changing only its LR"),
    "too-low-slow": Challenge(0, "loss", 1e-6, "reach a loss below 1e-6 in 200 steps by changing only the LR"),
    "schedule-too-aggressive": Challenge(0, "loss", 1e-3, "get the frozen run below 1e-3 by changing only its LR "
                                                          "or schedule"),
    "exponential-decay": Challenge(1, "loss", 1e-4, "get the gamma 0.9 run below 1e-4 by changing only its LR "
                                                    "or schedule"),
    # The adaptive chapter and the sweep had no goal to check (walkthrough 10b, D70).
    "adagrad-decays-too-fast": Challenge(0, "loss", 0.24, "get the Adagrad run below RMSProp's 0.24 by changing "
                                                          "only its LR"),
    "lr-sweep": Challenge(0, "loss", 1e-3, "get the slowest run (lr 1e-5) below 1e-3 by changing only its LR"),
    "digits-lr-classic": Challenge(1, "test_accuracy", 0.8, "get the slow run to 80% test accuracy by changing "
                                                            "only its LR"),
}


def challenge_for(source: str) -> Challenge | None:
    return CHALLENGES.get(source)


def final_metric(exp, run: int, metric: str) -> float:
    """The run's final loss or test accuracy (NaN when it diverged)."""
    if exp.diverged_at(run) >= 0:
        return math.nan
    _, values = exp.series(run, metric)
    values = values[np.isfinite(values)]
    return float(values[-1]) if values.size else math.nan


REFINE_POINTS = 13  # a second, finer grid between the best point's neighbours (not for models)
EXTEND_POINTS = 3  # where the best is at an end of the grid, this many more LRs past it, same spacing


@dataclass(frozen=True)
class BestLR:
    """The best constant LR known for a challenge, and how it was found."""

    lr: float
    value: float
    how: str  # "a sweep of 25 constant LRs from 1e-05 to 10, then 13 between the best one's neighbours"
    run: int = -1  # a run on the screen when it did at least as well as the sweep, else -1


PROGRESS_CHUNKS = 10  # a sweep reports its progress this many times (the digits sweep takes a minute or more)


def _sweep(scenario, challenge: Challenge, lrs: np.ndarray, progress=None, what: str = "") -> np.ndarray:
    """Each LR's final metric, all trained in one batch; `progress(text)`, if given, hears how far it has got."""
    from lrtui.core.losses import build_loss
    from lrtui.core.simulation import Simulation

    config = scenario.runs[challenge.run]
    loss = build_loss(config.loss["type"], **{k: v for k, v in config.loss.items() if k != "type"})
    spec = config.run_spec()
    specs = [spec.copy(label=f"lr={x:.3g}", optimizer_params={**spec.optimizer_params, "lr": float(x)},
                       schedule="constant", schedule_params={}, changes=[]) for x in lrs]
    sim = Simulation(loss, specs, seed=scenario.seed, eval_every=scenario.eval_every, diagnostics=False)
    if progress is None:
        sim.step(scenario.steps)
    else:
        chunk = max(1, -(-scenario.steps // PROGRESS_CHUNKS))
        for done in range(0, scenario.steps, chunk):
            progress(f"{what}{len(lrs)} constant LRs at once, step {done:,} of {scenario.steps:,}")
            sim.step(min(chunk, scenario.steps - done))
    return np.array([_sim_metric(sim, run, challenge.metric) for run in range(len(lrs))])


def _best_index(challenge: Challenge, values: np.ndarray) -> int:
    scores = np.where(np.isfinite(values), values, -np.inf if challenge.metric == "test_accuracy" else np.inf)
    return int(np.argmax(scores) if challenge.metric == "test_accuracy" else np.argmin(scores))


def best_constant_lr(scenario, challenge: Challenge) -> tuple[float, float]:
    """(lr, its final metric): the best of a log grid of constant LRs around the run's own, trained in one batch,
    then (for the cheap losses) of a finer grid between the best point's neighbours."""
    best = best_constant(scenario, challenge)
    return best.lr, best.value


def best_constant(scenario, challenge: Challenge, progress=None) -> BestLR:
    """The best constant LR for the challenge's run; `progress(text)`, if given, hears each sweep's progress."""
    from lrtui.core.losses import build_loss

    config = scenario.runs[challenge.run]
    is_model = build_loss(config.loss["type"], **{k: v for k, v in config.loss.items() if k != "type"}).is_model
    lr = float(config.run_spec().optimizer_params.get("lr", 1e-3))
    points = MODEL_SWEEP_POINTS if is_model else SWEEP_POINTS
    lrs = lr * np.logspace(-SWEEP_DECADES, SWEEP_DECADES, points)
    how = f"a sweep of {points} constant LRs from {lrs[0]:.3g} to {lrs[-1]:.3g}"
    values = _sweep(scenario, challenge, lrs, progress)
    if not np.isfinite(values).any():
        return BestLR(math.nan, math.nan, how)
    best = _best_index(challenge, values)
    if best in (0, len(lrs) - 1):
        # The best is at an end of the grid: the best LR may lie past it (a run whose own LR is far too low has
        # its best three decades up, and more). Go on in that direction, as far again.
        step = lrs[1] / lrs[0]
        sign = 1 if best == len(lrs) - 1 else -1
        more = lrs[best] * step ** (sign * np.arange(1, EXTEND_POINTS + 1))
        more_values = _sweep(scenario, challenge, more, progress, "then past the grid's end: ")
        lrs, values = np.concatenate([lrs, more]), np.concatenate([values, more_values])
        order = np.argsort(lrs)
        lrs, values = lrs[order], values[order]
        # (both counts: "sweeping 7 constant LRs" and then "a sweep of 10" read as two sweeps; walkthrough 22b, X9)
        how = (f"a sweep of {points} constant LRs, then {EXTEND_POINTS} more past its end: {len(lrs)} from "
               f"{lrs[0]:.3g} to {lrs[-1]:.3g}")
        best = _best_index(challenge, values)
    if not is_model:
        low, high = lrs[max(0, best - 1)], lrs[min(len(lrs) - 1, best + 1)]
        fine = np.geomspace(low, high, REFINE_POINTS)
        fine_values = _sweep(scenario, challenge, fine, progress, "then a finer grid: ")
        lrs, values = np.concatenate([lrs, fine]), np.concatenate([values, fine_values])
        best = _best_index(challenge, values)
        how += f", then {REFINE_POINTS} between the best one's neighbours"
    return BestLR(float(lrs[best]), float(values[best]), how)


def constant_lr_runs(exp, challenge: Challenge) -> list[tuple[int, float, float]]:
    """(run, lr, final metric) of each run on the screen that trained the challenge's loss with the challenge run's
    optimizer at one constant LR all along (changes at step 0 only): the runs the sweep competes with."""
    if challenge.run >= exp.n_runs:
        return []
    target = exp.view(challenge.run)
    found = []
    for run in range(exp.n_runs):
        view = exp.view(run)
        if (view.loss_function is not target.loss_function or exp.diverged_at(run) >= 0
                or view.spec.schedule != "constant" or view.spec.optimizer != target.spec.optimizer
                or any(c.step > 0 for c in view.timeline)
                or any(e.run == run and e.kind == "fork" and e.step > 0 for e in exp.events)):
            continue
        value = final_metric(exp, run, challenge.metric)
        if math.isfinite(value):
            found.append((run, float(view.spec.optimizer_params["lr"]), value))
    return found


def tried_constant_lrs(exp, challenge: Challenge) -> list[tuple[float, float]]:
    """(lr, final loss) of each fix the diagnostics tried on the challenge run's copies with one constant LR from
    step 0 to the end of the budget: constant LRs the engine has trained too. On a sharp edge they can beat the
    sweep's grid (lesson 2: the fix 0.00203 ends at 0.00142, the sweep's 0.00204 at 0.0522; walkthrough 7, D27)."""
    if challenge.metric != "loss" or challenge.run >= exp.n_runs or exp.view(challenge.run).spec.schedule != "constant":
        return []
    found, budget = [], exp.view(challenge.run).budget or math.inf
    for d in [*exp.diagnoses(challenge.run), exp.summary(challenge.run)]:
        tried = d.tried
        if (tried is not None and tried.from_step == 0 and tried.end_step >= budget
                and set(tried.fix) == {"optimizer.lr"} and tried.measure == "loss" and math.isfinite(tried.loss)):
            found.append((float(tried.fix["optimizer.lr"]), float(tried.loss)))
    return found


def best_known(best: BestLR, exp, challenge: Challenge, remembered=()) -> BestLR:
    """The sweep's best, a run on the screen that did at least as well with a constant LR (the screen never shows a
    run beating "the best constant LR"), or a fix the checks tried that did better still (on this experiment, or
    `remembered`: (lr, final loss) pairs tried before a replay, under the same settings)."""
    for run, lr, value in constant_lr_runs(exp, challenge):
        better = (value >= best.value if challenge.metric == "test_accuracy" else value <= best.value)
        if not math.isfinite(best.value) or better:
            best = BestLR(lr, value, best.how, run)
    for lr, value in [*tried_constant_lrs(exp, challenge), *remembered]:
        if not math.isfinite(best.value) or value < best.value:
            best = BestLR(lr, value, f"tried by the checks as a fix; {best.how}", -1)
    return best


def _sim_metric(sim, run: int, metric: str) -> float:
    if sim.diverged_at[run] >= 0:
        return math.nan
    _, values = sim.history.series(metric, run)
    values = values[np.isfinite(values)]
    return float(values[-1]) if values.size else math.nan
