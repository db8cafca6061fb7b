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
    "too-high-divergence": Challenge(0, "loss", 3.0, "make the red run end below 3 by changing only its LR"),
    "too-low-slow": Challenge(0, "loss", 1e-6, "reach a loss below 1e-6 in 200 steps by changing only the LR"),
    "schedule-too-aggressive": Challenge(0, "loss", 1e-3, "get the frozen run below 1e-3 by changing only its LR "
                                                          "or schedule"),
    "exponential-decay": Challenge(1, "loss", 1e-4, "get the gamma 0.9 run below 1e-4 by changing only its LR "
                                                    "or schedule"),
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


def best_constant_lr(scenario, challenge: Challenge) -> tuple[float, float]:
    """(lr, its final metric): the best of a log grid of constant LRs around the run's own, trained in one batch."""
    from lrtui.core.losses import build_loss
    from lrtui.core.simulation import Simulation

    config = scenario.runs[challenge.run]
    loss = build_loss(config.loss["type"], **{k: v for k, v in config.loss.items() if k != "type"})
    spec = config.run_spec()
    lr = float(spec.optimizer_params.get("lr", 1e-3))
    points = MODEL_SWEEP_POINTS if loss.is_model else SWEEP_POINTS
    lrs = lr * np.logspace(-SWEEP_DECADES, SWEEP_DECADES, points)
    specs = [spec.copy(label=f"lr={x:.3g}", optimizer_params={**spec.optimizer_params, "lr": float(x)},
                       schedule="constant", schedule_params={}) for x in lrs]
    sim = Simulation(loss, specs, seed=scenario.seed, eval_every=scenario.eval_every, diagnostics=False)
    sim.step(scenario.steps)
    values = np.array([_sim_metric(sim, run, challenge.metric) for run in range(len(lrs))])
    if not np.isfinite(values).any():
        return math.nan, math.nan
    scores = np.where(np.isfinite(values), values, -np.inf if challenge.metric == "test_accuracy" else np.inf)
    best = int(np.argmax(scores) if challenge.metric == "test_accuracy" else np.argmin(scores))
    return float(lrs[best]), float(values[best])


def _sim_metric(sim, run: int, metric: str) -> float:
    if sim.diverged_at[run] >= 0:
        return math.nan
    _, values = sim.history.series(metric, run)
    values = values[np.isfinite(values)]
    return float(values[-1]) if values.size else math.nan
